package core

import (
	"fmt"
	"time"
)

// Build is what a protocol's Build function sees: the validated scenario and
// a way to add processes beyond the scenario's nodes (clients, a controller).
type Build struct {
	Scenario *Scenario
	Nodes    int
	Params   map[string]any
	Workload Value

	extra  []extraProc
	labels map[int]string
	inst   Instance
}

type extraProc struct {
	prefix string
	count  int
}

// Procs is the number of processes so far (nodes plus added ones).
func (b *Build) Procs() int {
	n := b.Nodes
	for _, e := range b.extra {
		n += e.count
	}
	return n
}

// AddProcesses adds k processes (numbered after every existing one), each
// linked both ways to every node with the scenario's network settings, named
// prefix+index ("C0", "C1"). It returns the first new id.
func (b *Build) AddProcesses(k int, prefix string) int {
	first := b.Procs()
	b.extra = append(b.extra, extraProc{prefix: prefix, count: k})
	if b.labels == nil {
		b.labels = map[int]string{}
	}
	for i := 0; i < k; i++ {
		b.labels[first+i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return first
}

// Label names a node for display instead of "P<id>".
func (b *Build) Label(id int, name string) {
	if b.labels == nil {
		b.labels = map[int]string{}
	}
	b.labels[id] = name
}

// Int, Float, Bool, String, Duration and JSON read validated parameters
// (every parameter with a default is present).
func (b *Build) Int(name string) int                { v, _ := b.Params[name].(int); return v }
func (b *Build) Float(name string) float64          { v, _ := b.Params[name].(float64); return v }
func (b *Build) Bool(name string) bool              { v, _ := b.Params[name].(bool); return v }
func (b *Build) String(name string) string          { v, _ := b.Params[name].(string); return v }
func (b *Build) Duration(name string) time.Duration { v, _ := b.Params[name].(time.Duration); return v }

// JSON returns a parameter of type "json" (a null Value when absent).
func (b *Build) JSON(name string) Value {
	if v, ok := b.Params[name].(Value); ok {
		return v
	}
	return Value{Path: "params." + name}
}

// Has reports whether a parameter was given or has a default.
func (b *Build) Has(name string) bool { _, ok := b.Params[name]; return ok }
