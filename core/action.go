package core

import (
	"fmt"
	"strings"
	"time"
)

// Action is a fault or user action: scheduled in the scenario (At) or
// injected live (then Step records how many engine steps had run, so that a
// replay applies it at exactly the same point).
type Action struct {
	At   time.Duration
	Step int64 // -1 for scheduled actions
	Kind string

	Node     int    // crash, recover, byzantine, input
	Strategy string // byzantine
	Groups   [][]int
	From, To int      // cut, hold, release (-1, -1 with release: all)
	Filter   *Filter  // drop, delay
	After    *Trigger // crash: at a protocol point rather than at a time
	Data     string   // input

	live bool // injected by the user (not from the scenario file)
}

// Filter selects messages for drop and delay: by id, or by type and
// endpoints (-1 matches any). Count is how many matching messages it takes
// (0: every one from At on).
type Filter struct {
	ID       int
	Type     string
	From, To int
	Count    int
	By       time.Duration // delay only
}

// Trigger crashes a node right after its Count-th send (or receive) of a
// message type, counted from the action's time: "crash the coordinator after
// it has sent one COMMIT" puts a crash at a chosen protocol point.
type Trigger struct {
	Sends, Receives string
	Count           int
}

// ActionKinds are the verbs of a fault.
var ActionKinds = []string{"crash", "recover", "byzantine", "partition", "heal", "cut", "hold", "release", "drop", "delay", "input"}

var actionKeys = append([]string{"at", "step", "strategy", "data", "after"}, ActionKinds...)

// ParseAction validates one fault object against the scenario.
func ParseAction(v Value, sc *Scenario) (Action, error) {
	return parseAction(v, sc.Nodes, sc.proto)
}

// ParseLiveAction validates a live action for a running simulation (At and
// Step are set by the engine).
func (s *Sim) ParseLiveAction(data []byte) (Action, error) {
	v, err := ParseJSON("action", data)
	if err != nil {
		return Action{}, err
	}
	return parseAction(v, s.n, s.proto)
}

func parseAction(v Value, n int, proto *Protocol) (Action, error) {
	a := Action{Step: -1, Node: -1, From: -1, To: -1}
	if err := v.Object(actionKeys...); err != nil {
		return a, err
	}
	if x := v.Get("at"); !x.Null() {
		d, err := x.Duration()
		if err != nil {
			return a, err
		}
		a.At = d
	}
	if x := v.Get("step"); !x.Null() {
		st, err := x.Int(0, 1<<53)
		if err != nil {
			return a, err
		}
		a.Step = int64(st)
	}
	var verbs []string
	for _, k := range ActionKinds {
		if v.Has(k) {
			verbs = append(verbs, k)
		}
	}
	if v.Has("after") && !v.Has("crash") {
		return a, Errorf(v.Get("after").Path, "\"after\" goes with \"crash\"")
	}
	if len(verbs) != 1 {
		if len(verbs) == 0 {
			return a, Errorf(v.Path, "no action: give one of %s", strings.Join(ActionKinds, ", "))
		}
		return a, Errorf(v.Path, "one action per entry, got %s", strings.Join(verbs, " and "))
	}
	a.Kind = verbs[0]
	x := v.Get(a.Kind)
	var err error
	switch a.Kind {
	case "crash", "recover", "input":
		a.Node, err = x.Node(n)
		if err == nil && a.Kind == "crash" && v.Has("after") {
			a.After, err = parseTrigger(v.Get("after"), proto)
		}
		if a.Kind == "input" {
			if d := v.Get("data"); !d.Null() {
				if a.Data, err = d.String(); err != nil {
					return a, err
				}
			}
		}
	case "byzantine":
		if a.Node, err = x.Node(n); err != nil {
			return a, err
		}
		var names []string
		for _, s := range proto.Strategies {
			names = append(names, s.Name)
		}
		if len(names) == 0 {
			return a, Errorf(x.Path, "%s has no Byzantine strategies", proto.Name)
		}
		st := v.Get("strategy")
		if st.Null() {
			return a, Errorf(st.Path, "missing: choose a strategy (valid: %s)", strings.Join(names, ", "))
		}
		a.Strategy, err = st.Enum("strategy", names)
	case "partition":
		var groups []Value
		if groups, err = x.List(); err != nil {
			return a, err
		}
		if len(groups) < 2 {
			return a, Errorf(x.Path, "a partition needs at least two groups, e.g. [[0, 1], [2, 3]]")
		}
		seen := map[int]string{}
		for _, g := range groups {
			ids, err := g.List()
			if err != nil {
				return a, err
			}
			var grp []int
			for _, idv := range ids {
				id, err := idv.Node(n)
				if err != nil {
					return a, err
				}
				if p, dup := seen[id]; dup {
					return a, Errorf(idv.Path, "node %d is already in the group at %s", id, p)
				}
				seen[id] = g.Path
				grp = append(grp, id)
			}
			a.Groups = append(a.Groups, grp)
		}
	case "heal":
		var b bool
		if b, err = x.Bool(); err == nil && !b {
			err = Errorf(x.Path, "write \"heal\": true")
		}
	case "cut", "hold", "release":
		if b, ok := x.V.(bool); ok && b && a.Kind == "release" {
			return a, nil
		}
		var pair []Value
		if pair, err = x.List(); err != nil {
			return a, err
		}
		if len(pair) != 2 {
			return a, Errorf(x.Path, "expected [FROM, TO]")
		}
		if a.From, err = pair[0].Node(n); err != nil {
			return a, err
		}
		if a.To, err = pair[1].Node(n); err != nil {
			return a, err
		}
	case "drop", "delay":
		a.Filter, err = parseFilter(x, n, proto, a.Kind == "delay")
	}
	return a, err
}

func parseTrigger(x Value, proto *Protocol) (*Trigger, error) {
	if err := x.Object("sends", "receives", "count"); err != nil {
		return nil, err
	}
	var types []string
	for _, t := range proto.MessageTypes {
		types = append(types, t.Name)
	}
	tr := &Trigger{Count: 1}
	var err error
	for _, k := range []string{"sends", "receives"} {
		y := x.Get(k)
		if y.Null() {
			continue
		}
		var typ string
		if len(types) > 0 {
			typ, err = y.Enum("message type", types)
		} else {
			typ, err = y.String()
		}
		if err != nil {
			return nil, err
		}
		if k == "sends" {
			tr.Sends = typ
		} else {
			tr.Receives = typ
		}
	}
	if (tr.Sends == "") == (tr.Receives == "") {
		return nil, Errorf(x.Path, "give one of \"sends\" or \"receives\" (a message type)")
	}
	if y := x.Get("count"); !y.Null() {
		if tr.Count, err = y.Int(1, 1<<30); err != nil {
			return nil, err
		}
	}
	return tr, nil
}

func parseFilter(x Value, n int, proto *Protocol, delay bool) (*Filter, error) {
	f := &Filter{ID: -1, From: -1, To: -1, Count: 1}
	keys := []string{"id", "type", "from", "to", "count"}
	if delay {
		keys = append(keys, "by")
	}
	if err := x.Object(keys...); err != nil {
		return nil, err
	}
	var err error
	if y := x.Get("id"); !y.Null() {
		if f.ID, err = y.Int(0, 1<<31-1); err != nil {
			return nil, err
		}
	}
	if y := x.Get("type"); !y.Null() {
		var types []string
		for _, t := range proto.MessageTypes {
			types = append(types, t.Name)
		}
		if len(types) > 0 {
			f.Type, err = y.Enum("message type", types)
		} else {
			f.Type, err = y.String()
		}
		if err != nil {
			return nil, err
		}
	}
	for _, k := range []string{"from", "to"} {
		if y := x.Get(k); !y.Null() {
			id, err := y.Node(n)
			if err != nil {
				return nil, err
			}
			if k == "from" {
				f.From = id
			} else {
				f.To = id
			}
		}
	}
	if y := x.Get("count"); !y.Null() {
		if f.Count, err = y.Int(0, 1<<30); err != nil {
			return nil, err
		}
	}
	if delay {
		y := x.Get("by")
		if y.Null() {
			return nil, Errorf(y.Path, "missing: how long to delay, e.g. \"20ms\"")
		}
		if f.By, err = y.Duration(); err != nil {
			return nil, err
		}
	}
	if f.ID < 0 && f.Type == "" && f.From < 0 && f.To < 0 && f.Count == 0 {
		return nil, Errorf(x.Path, "this would match every message forever; give an id, type, from, to or count")
	}
	return f, nil
}

func (f *Filter) match(m *Msg) bool {
	if f.ID >= 0 {
		return m.ID == f.ID
	}
	return (f.Type == "" || f.Type == m.Type) && (f.From < 0 || f.From == m.From) && (f.To < 0 || f.To == m.To)
}

// JSON renders the action in the scenario format.
func (a Action) JSON() map[string]any {
	m := map[string]any{"at": fmtDur(a.At)}
	if a.Step >= 0 {
		m["step"] = a.Step
	}
	switch a.Kind {
	case "crash", "recover":
		m[a.Kind] = a.Node
		if t := a.After; t != nil {
			tm := map[string]any{"count": t.Count}
			if t.Sends != "" {
				tm["sends"] = t.Sends
			} else {
				tm["receives"] = t.Receives
			}
			m["after"] = tm
		}
	case "input":
		m[a.Kind] = a.Node
		if a.Data != "" {
			m["data"] = a.Data
		}
	case "byzantine":
		m[a.Kind] = a.Node
		m["strategy"] = a.Strategy
	case "partition":
		m[a.Kind] = a.Groups
	case "heal":
		m[a.Kind] = true
	case "cut", "hold", "release":
		if a.From < 0 {
			m[a.Kind] = true
		} else {
			m[a.Kind] = []int{a.From, a.To}
		}
	case "drop", "delay":
		f := map[string]any{}
		if a.Filter.ID >= 0 {
			f["id"] = a.Filter.ID
		}
		if a.Filter.Type != "" {
			f["type"] = a.Filter.Type
		}
		if a.Filter.From >= 0 {
			f["from"] = a.Filter.From
		}
		if a.Filter.To >= 0 {
			f["to"] = a.Filter.To
		}
		if a.Filter.Count != 1 {
			f["count"] = a.Filter.Count
		}
		if a.Kind == "delay" {
			f["by"] = fmtDur(a.Filter.By)
		}
		m[a.Kind] = f
	}
	return m
}

// String is a one-line description of the action, naming processes P<id>.
func (a Action) String() string {
	return a.Describe(func(id int) string { return fmt.Sprintf("P%d", id) })
}

// Describe is a one-line description naming processes with name.
func (a Action) Describe(name func(int) string) string {
	switch a.Kind {
	case "crash":
		if t := a.After; t != nil {
			what, typ := "sending", t.Sends
			if typ == "" {
				what, typ = "receiving", t.Receives
			}
			return fmt.Sprintf("crash %s after %s %d %s", name(a.Node), what, t.Count, typ)
		}
		return "crash " + name(a.Node)
	case "recover":
		return "recover " + name(a.Node)
	case "input":
		return fmt.Sprintf("input to %s: %s", name(a.Node), a.Data)
	case "byzantine":
		return fmt.Sprintf("%s turns traitor (%s)", name(a.Node), a.Strategy)
	case "partition":
		var gs []string
		for _, g := range a.Groups {
			var ns []string
			for _, id := range g {
				ns = append(ns, name(id))
			}
			gs = append(gs, strings.Join(ns, " "))
		}
		return "partition {" + strings.Join(gs, "} | {") + "}"
	case "heal":
		return "heal the network"
	case "cut":
		return fmt.Sprintf("cut channel %s->%s", name(a.From), name(a.To))
	case "hold":
		return fmt.Sprintf("hold channel %s->%s", name(a.From), name(a.To))
	case "release":
		if a.From < 0 {
			return "release every held channel"
		}
		return fmt.Sprintf("release channel %s->%s", name(a.From), name(a.To))
	case "drop", "delay":
		f := a.Filter
		var parts []string
		if f.ID >= 0 {
			parts = append(parts, fmt.Sprintf("message #%d", f.ID))
		}
		if f.Type != "" {
			parts = append(parts, f.Type)
		}
		if f.From >= 0 {
			parts = append(parts, "from "+name(f.From))
		}
		if f.To >= 0 {
			parts = append(parts, "to "+name(f.To))
		}
		s := a.Kind + " " + strings.Join(parts, " ")
		if a.Kind == "delay" {
			s += " by " + fmtDur(f.By)
		}
		return s
	}
	return a.Kind
}

// fmtDur renders a duration the way scenarios write them ("1.5ms", "2s").
func fmtDur(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	return d.String()
}
