package core

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Engine limits. Scenarios beyond them are rejected with a clear error.
const (
	MaxNodes     = 4096
	MaxProcesses = MaxNodes + 256
	MaxChannels  = 1 << 18
)

// Catalog is the list of protocols the engine can run (the registry).
type Catalog []*Protocol

// Lookup finds a protocol by name.
func (c Catalog) Lookup(name string) *Protocol {
	for _, p := range c {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Names lists the registry names in order.
func (c Catalog) Names() []string {
	out := make([]string, len(c))
	for i, p := range c {
		out[i] = p.Name
	}
	return out
}

// Link is the network behaviour of one channel.
type Link struct {
	LatMin, LatMax time.Duration
	FIFO           bool
	LossPPM        uint32 // loss probability in parts per million (integer: same on every platform)
	DupPPM         uint32
	Weight         int64 // edge weight for algorithms that use one (spanning trees); default 1
}

// Edge is one link of an explicit topology.
type Edge struct {
	From, To int
	Link     Link
}

// Topology is a named shape or an explicit list of edges.
type Topology struct {
	Shape    string // complete, ring, line, star, grid, tree, random, or "edges"
	Degree   int    // for random
	Edges    []Edge // for "edges"
	Directed bool
}

// Shapes are the named topologies.
var Shapes = []string{"complete", "ring", "line", "star", "grid", "tree", "random"}

// Scenario is a validated scenario: every default applied.
type Scenario struct {
	Protocol string
	Seed     uint64
	Nodes    int
	Until    time.Duration
	Topology Topology
	Network  Link
	Faults   []Action
	Params   map[string]any // validated against the protocol's ParamSpecs
	Workload Value

	// Raw is the merged JSON object (the protocol's default overlaid with the
	// user's keys), used for export.
	Raw   map[string]any
	proto *Protocol
}

// ScenarioKeys are the top-level keys of a scenario.
var ScenarioKeys = []string{"protocol", "seed", "nodes", "until", "topology", "network", "faults", "params", "workload", "title", "description"}

// ParseScenario parses and validates a scenario against the catalog.
func ParseScenario(data []byte, cat Catalog) (*Scenario, error) {
	root, err := ParseJSON("", data)
	if err != nil {
		return nil, err
	}
	return ScenarioFromValue(root, cat)
}

// ScenarioFromValue validates an already parsed scenario object.
func ScenarioFromValue(root Value, cat Catalog) (*Scenario, error) {
	if err := root.Object(ScenarioKeys...); err != nil {
		return nil, err
	}
	pv := root.Get("protocol")
	if pv.Null() {
		return nil, Errorf("protocol", "missing: name a protocol (valid: %s)", strings.Join(cat.Names(), ", "))
	}
	name, err := pv.Enum("protocol", cat.Names())
	if err != nil {
		return nil, err
	}
	proto := cat.Lookup(name)
	// Overlay the user's keys on the protocol's default scenario.
	merged := map[string]any{}
	if proto.Default != "" {
		def, err := ParseJSON("", []byte(proto.Default))
		if err != nil {
			return nil, fmt.Errorf("protocol %s: its default scenario is malformed: %v", name, err)
		}
		for k, v := range def.V.(map[string]any) {
			// Faults are never inherited: a scenario without "faults" has
			// none (the default's traitor would surprise an autograder, and
			// its node ids may not exist at another size).
			if k != "faults" {
				merged[k] = v
			}
		}
	}
	user := root.V.(map[string]any)
	for k, v := range user {
		if k == "params" {
			pm := map[string]any{}
			if d, ok := merged["params"].(map[string]any); ok {
				for pk, pv := range d {
					pm[pk] = pv
				}
			}
			if u, ok := v.(map[string]any); ok {
				for pk, pv := range u {
					pm[pk] = pv
				}
				merged[k] = pm
				continue
			}
		}
		merged[k] = v
	}
	sc, err := validate(Value{V: merged}, proto)
	if err != nil {
		return nil, err
	}
	// The protocol validates its params and workload when it builds.
	if _, err := buildInstance(sc); err != nil {
		return nil, err
	}
	return sc, nil
}

func validate(root Value, proto *Protocol) (*Scenario, error) {
	sc := &Scenario{Protocol: proto.Name, Raw: root.V.(map[string]any), proto: proto}
	var err error
	sc.Seed = 1
	if v := root.Get("seed"); !v.Null() {
		if sc.Seed, err = v.Uint(); err != nil {
			return nil, err
		}
	}
	minN, maxN := max(1, proto.MinNodes), MaxNodes
	if proto.MaxNodes > 0 {
		maxN = proto.MaxNodes
	}
	sc.Nodes = max(minN, 3)
	if v := root.Get("nodes"); !v.Null() {
		if sc.Nodes, err = v.Int(minN, maxN); err != nil {
			if n, e2 := v.Int(-1<<31, 1<<31-1); e2 == nil {
				return nil, Errorf("nodes", "%d nodes is out of range: %s runs with %d..%d nodes", n, proto.Name, minN, maxN)
			}
			return nil, err
		}
	}
	sc.Until = 10 * time.Second
	if v := root.Get("until"); !v.Null() {
		if sc.Until, err = v.Duration(); err != nil {
			return nil, err
		}
		if sc.Until == 0 {
			return nil, Errorf("until", "must be longer than 0")
		}
	}
	sc.Network = Link{LatMin: time.Millisecond, LatMax: 10 * time.Millisecond, FIFO: true, Weight: 1}
	if v := root.Get("network"); !v.Null() {
		if err := parseLink(v, &sc.Network, false); err != nil {
			return nil, err
		}
	}
	if err := parseTopology(root.Get("topology"), sc); err != nil {
		return nil, err
	}
	if err := checkTopology(sc, proto); err != nil {
		return nil, err
	}
	if sc.Params, err = parseParams(root.Get("params"), proto); err != nil {
		return nil, err
	}
	sc.Workload = root.Get("workload")
	if v := root.Get("faults"); !v.Null() {
		list, err := v.List()
		if err != nil {
			return nil, err
		}
		for _, f := range list {
			a, err := ParseAction(f, sc)
			if err != nil {
				return nil, err
			}
			sc.Faults = append(sc.Faults, a)
		}
	}
	return sc, nil
}

var linkKeys = []string{"latency", "fifo", "loss", "duplicate", "weight"}

func parseLink(v Value, l *Link, edge bool) error {
	keys := linkKeys[:4]
	if edge {
		keys = linkKeys
	}
	if err := v.Object(keys...); err != nil {
		return err
	}
	if x := v.Get("latency"); !x.Null() {
		s, err := x.String()
		if err != nil {
			return err
		}
		lo, hi, err := ParseLatency(s)
		if err != nil {
			return Errorf(x.Path, "%v", err)
		}
		l.LatMin, l.LatMax = lo, hi
	}
	if x := v.Get("fifo"); !x.Null() {
		b, err := x.Bool()
		if err != nil {
			return err
		}
		l.FIFO = b
	}
	for _, k := range []string{"loss", "duplicate"} {
		if x := v.Get(k); !x.Null() {
			f, err := x.Float(0, 1)
			if err != nil {
				return err
			}
			ppm := uint32(f*1e6 + 0.5)
			if k == "loss" {
				l.LossPPM = ppm
			} else {
				l.DupPPM = ppm
			}
		}
	}
	if x := v.Get("weight"); !x.Null() {
		w, err := x.Int(-1<<40, 1<<40)
		if err != nil {
			return err
		}
		l.Weight = int64(w)
	}
	return nil
}

// ParseLatency parses "MIN..MAX" or a single duration.
func ParseLatency(s string) (lo, hi time.Duration, err error) {
	a, b, found := strings.Cut(s, "..")
	if lo, err = ParseDuration(a); err != nil {
		return
	}
	hi = lo
	if found {
		if hi, err = ParseDuration(b); err != nil {
			return
		}
	}
	if hi < lo {
		err = fmt.Errorf("latency %q: the maximum is below the minimum", s)
	}
	if hi == 0 {
		err = fmt.Errorf("latency %q: must be at least 1us (messages take time)", s)
	}
	if lo == 0 {
		lo = time.Microsecond
	}
	return
}

func parseTopology(v Value, sc *Scenario) error {
	t := &sc.Topology
	t.Shape = "complete"
	t.Degree = 3
	if v.Null() {
		return nil
	}
	if s, ok := v.V.(string); ok {
		shape, err := v.Enum("topology", Shapes)
		if err != nil {
			return err
		}
		_ = s
		t.Shape = shape
		return nil
	}
	if err := v.Object("shape", "degree", "edges", "directed"); err != nil {
		return err
	}
	if x := v.Get("directed"); !x.Null() {
		b, err := x.Bool()
		if err != nil {
			return err
		}
		t.Directed = b
	}
	if x := v.Get("degree"); !x.Null() {
		d, err := x.Int(1, max(1, sc.Nodes-1))
		if err != nil {
			return err
		}
		t.Degree = d
	}
	if x := v.Get("shape"); !x.Null() {
		shape, err := x.Enum("topology", Shapes)
		if err != nil {
			return err
		}
		t.Shape = shape
		if v.Has("edges") {
			return Errorf("topology.edges", "give either a shape or a list of edges, not both")
		}
		return nil
	}
	ev := v.Get("edges")
	if ev.Null() {
		return Errorf("topology", "an object topology needs \"shape\" or \"edges\"")
	}
	list, err := ev.List()
	if err != nil {
		return err
	}
	t.Shape = "edges"
	seen := map[[2]int]string{}
	for _, e := range list {
		parts, err := e.List()
		if err != nil {
			return err
		}
		if len(parts) < 2 || len(parts) > 3 {
			return Errorf(e.Path, "an edge is [FROM, TO] or [FROM, TO, {settings}]")
		}
		a, err := parts[0].Node(sc.Nodes)
		if err != nil {
			return err
		}
		b, err := parts[1].Node(sc.Nodes)
		if err != nil {
			return err
		}
		if a == b {
			return Errorf(e.Path, "a link from node %d to itself is not allowed", a)
		}
		edge := Edge{From: a, To: b, Link: sc.Network}
		if len(parts) == 3 {
			if err := parseLink(parts[2], &edge.Link, true); err != nil {
				return err
			}
		}
		keys := [][2]int{{a, b}}
		if !t.Directed {
			keys = append(keys, [2]int{b, a})
		}
		for _, k := range keys {
			if prev, dup := seen[k]; dup {
				return Errorf(e.Path, "the link %d->%d is already given at %s", k[0], k[1], prev)
			}
			seen[k] = e.Path
		}
		t.Edges = append(t.Edges, edge)
	}
	return nil
}

// channelsOf lists the directed channels of a topology over n nodes, sorted.
func channelsOf(t *Topology, n int, def Link, rng func(int) int) []Edge {
	var out []Edge
	add := func(a, b int) {
		out = append(out, Edge{From: a, To: b, Link: def}, Edge{From: b, To: a, Link: def})
	}
	switch t.Shape {
	case "complete":
		for a := 0; a < n; a++ {
			for b := a + 1; b < n; b++ {
				add(a, b)
			}
		}
	case "ring":
		if n == 2 {
			add(0, 1)
		} else if n > 2 {
			for a := 0; a < n; a++ {
				add(a, (a+1)%n)
			}
		}
	case "line":
		for a := 0; a+1 < n; a++ {
			add(a, a+1)
		}
	case "star":
		for a := 1; a < n; a++ {
			add(0, a)
		}
	case "tree":
		for a := 1; a < n; a++ {
			add((a-1)/2, a)
		}
	case "grid":
		cols := gridCols(n)
		for a := 0; a < n; a++ {
			if (a+1)%cols != 0 && a+1 < n {
				add(a, a+1)
			}
			if a+cols < n {
				add(a, a+cols)
			}
		}
	case "random":
		// A random spanning tree first (so the graph is connected), then
		// random extra links until the average degree is reached.
		have := map[[2]int]bool{}
		link := func(a, b int) bool {
			if a == b || have[[2]int{a, b}] {
				return false
			}
			have[[2]int{a, b}], have[[2]int{b, a}] = true, true
			add(a, b)
			return true
		}
		for a := 1; a < n; a++ {
			link(rng(a), a)
		}
		want := n * t.Degree / 2
		for tries := 0; len(out)/2 < want && tries < want*20; tries++ {
			link(rng(n), rng(n))
		}
	case "edges":
		for _, e := range t.Edges {
			out = append(out, e)
			if !t.Directed {
				r := e
				r.From, r.To = e.To, e.From
				out = append(out, r)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].From != out[j].From {
			return out[i].From < out[j].From
		}
		return out[i].To < out[j].To
	})
	return out
}

func gridCols(n int) int {
	c := 1
	for c*c < n {
		c++
	}
	return c
}

func topologyChannels(t *Topology, n int) int {
	switch t.Shape {
	case "complete":
		return n * (n - 1)
	case "edges":
		if t.Directed {
			return len(t.Edges)
		}
		return 2 * len(t.Edges)
	case "random":
		return n * (t.Degree + 1)
	}
	return 2 * n
}

func checkTopology(sc *Scenario, proto *Protocol) error {
	if c := topologyChannels(&sc.Topology, sc.Nodes); c > MaxChannels {
		return Errorf("topology", "%s with %d nodes has %d channels; the engine's limit is %d (use a sparser shape such as \"random\")", sc.Topology.Shape, sc.Nodes, c, MaxChannels)
	}
	if !proto.Connected || sc.Nodes <= 1 || sc.Topology.Shape != "edges" {
		return nil
	}
	chans := channelsOf(&sc.Topology, sc.Nodes, sc.Network, nil)
	adj := make([][]int, sc.Nodes)
	radj := make([][]int, sc.Nodes)
	for _, e := range chans {
		adj[e.From] = append(adj[e.From], e.To)
		radj[e.To] = append(radj[e.To], e.From)
	}
	for gi, g := range [][][]int{adj, radj} {
		seen := make([]bool, sc.Nodes)
		stack := []int{0}
		seen[0] = true
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, y := range g[x] {
				if !seen[y] {
					seen[y] = true
					stack = append(stack, y)
				}
			}
		}
		var missing []string
		for i, ok := range seen {
			if !ok {
				missing = append(missing, fmt.Sprint(i))
			}
		}
		if len(missing) > 0 {
			if len(missing) > 8 {
				missing = append(missing[:8], "...")
			}
			how := "cannot be reached from node 0"
			if gi == 1 {
				how = "cannot reach node 0"
			}
			return Errorf("topology", "the network is not connected: node(s) %s %s, and %s needs a connected network", strings.Join(missing, ", "), how, proto.Name)
		}
	}
	return nil
}

func parseParams(v Value, proto *Protocol) (map[string]any, error) {
	out := map[string]any{}
	names := make([]string, len(proto.Params))
	for i, p := range proto.Params {
		names[i] = p.Name
	}
	if !v.Null() {
		if err := v.Object(names...); err != nil {
			if se, ok := err.(*ScenarioError); ok && len(names) == 0 {
				se.Msg += fmt.Sprintf(" (%s takes no parameters)", proto.Name)
			}
			return nil, err
		}
	}
	for _, p := range proto.Params {
		x := v.Get(p.Name)
		if x.Null() {
			if p.Default == nil {
				continue
			}
			b, _ := json.Marshal(p.Default)
			d, err := ParseJSON("params."+p.Name, b)
			if err != nil {
				return nil, err
			}
			x = d
		}
		if x.Path == "" || !strings.HasPrefix(x.Path, "params.") {
			x.Path = "params." + p.Name
		}
		val, err := paramValue(x, p)
		if err != nil {
			return nil, err
		}
		out[p.Name] = val
	}
	return out, nil
}

func paramValue(x Value, p ParamSpec) (any, error) {
	lo, hi := -1e18, 1e18
	if p.Min != nil {
		lo = *p.Min
	}
	if p.Max != nil {
		hi = *p.Max
	}
	switch p.Type {
	case "int":
		return x.Int(int(lo), int(hi))
	case "float":
		return x.Float(lo, hi)
	case "bool":
		return x.Bool()
	case "string":
		return x.String()
	case "enum":
		return x.Enum("value", p.Enum)
	case "duration":
		d, err := x.Duration()
		if err != nil {
			return nil, err
		}
		if float64(d) < lo*float64(time.Millisecond) || float64(d) > hi*float64(time.Millisecond) {
			return nil, Errorf(x.Path, "%v is out of range (%vms..%vms)", d, lo, hi)
		}
		return d, nil
	case "json":
		return x, nil
	}
	return nil, Errorf(x.Path, "parameter type %q is not known to the engine", p.Type)
}

// Proto is the protocol the scenario runs.
func (sc *Scenario) Proto() *Protocol { return sc.proto }

// JSON renders the scenario (merged with defaults) as indented JSON, with the
// given extra faults appended; used for export.
func (sc *Scenario) JSON(extra []Action) []byte {
	m := map[string]any{}
	for k, v := range sc.Raw {
		m[k] = v
	}
	if len(extra) > 0 {
		var faults []any
		if f, ok := m["faults"].([]any); ok {
			faults = append(faults, f...)
		}
		for _, a := range extra {
			faults = append(faults, a.JSON())
		}
		m["faults"] = faults
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	return b
}
