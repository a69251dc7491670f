package core

import (
	"fmt"
	"sort"
	"time"
)

// Inject applies an action now, live, and records it so that a replay (seek,
// branch, a shared link) applies it at exactly the same step.
func (s *Sim) Inject(a Action) error {
	if s.err != nil {
		return s.err
	}
	if err := s.checkLive(a); err != nil {
		return err
	}
	// A new action where queued live actions remain starts a new branch:
	// the old future is discarded.
	a.At, a.Step, a.live = s.now, s.steps, true
	kept := append(append([]Action(nil), s.pending[:s.pendNext]...), a)
	for _, p := range s.pending[s.pendNext:] {
		if !p.live {
			kept = append(kept, p)
		}
	}
	s.pending = kept
	s.applyDue()
	return s.err
}

// checkLive rejects actions that make no sense in the current state.
func (s *Sim) checkLive(a Action) error {
	switch a.Kind {
	case "crash":
		if s.crashed[a.Node] {
			return Errorf("action.crash", "%s is already crashed", s.names[a.Node])
		}
	case "recover":
		if !s.crashed[a.Node] {
			return Errorf("action.recover", "%s is not crashed", s.names[a.Node])
		}
	case "input":
		if _, ok := s.nodes[a.Node].(Inputter); !ok {
			return Errorf("action.input", "%s takes no input", s.proto.Name)
		}
		if s.crashed[a.Node] {
			return Errorf("action.input", "%s is crashed", s.names[a.Node])
		}
	case "cut", "hold", "release":
		if a.From >= 0 && s.channel(a.From, a.To) == nil {
			return Errorf("action."+a.Kind, "there is no channel from %s to %s", s.names[a.From], s.names[a.To])
		}
	case "drop", "delay":
		if f := a.Filter; f.ID >= 0 {
			if f.ID >= s.msgs.n {
				return Errorf("action."+a.Kind+".id", "message %d has not been sent (messages so far: 0..%d)", f.ID, s.msgs.n-1)
			}
			if st := s.msgs.at(f.ID).Status; st != InFlight && st != Held {
				return Errorf("action."+a.Kind+".id", "message %d is not in flight (it is %s)", f.ID, st)
			}
		}
	}
	return nil
}

func (s *Sim) applyAction(a Action) {
	text := a.Describe(s.Name)
	switch a.Kind {
	case "crash":
		if a.After != nil {
			t := *a.After
			s.triggers = append(s.triggers, &trigger{node: a.Node, t: t, left: t.Count})
			s.record(KFault, a.Node, -1, "crash", "armed: "+text)
			return
		}
		if s.crashed[a.Node] {
			s.record(KNote, a.Node, -1, "", text+": already crashed (ignored)")
			return
		}
		s.crash(a.Node, "crash")
	case "recover":
		if !s.crashed[a.Node] {
			s.record(KNote, a.Node, -1, "", text+": not crashed (ignored)")
			return
		}
		s.crashed[a.Node] = false
		s.nodes[a.Node] = s.inst.NewNode(a.Node)
		s.record(KRecover, a.Node, -1, "recover", "recover")
		s.nodes[a.Node].Start(s.envs[a.Node])
	case "byzantine":
		s.strategy[a.Node] = a.Strategy
		s.record(KFault, a.Node, -1, "byzantine", text)
		if c, ok := s.nodes[a.Node].(Corruptible); ok && !s.crashed[a.Node] {
			c.Corrupt(s.envs[a.Node], a.Strategy)
		}
	case "input":
		in, ok := s.nodes[a.Node].(Inputter)
		if !ok || s.crashed[a.Node] {
			s.record(KNote, a.Node, -1, "", text+": ignored")
			return
		}
		s.record(KNote, a.Node, -1, "input", text)
		if err := in.Input(s.envs[a.Node], a.Data); err != nil {
			s.record(KNote, a.Node, -1, "", "input refused: "+err.Error())
		}
	case "partition":
		group := make([]int, s.n)
		for i := range group {
			group[i] = -1
		}
		for g, ids := range a.Groups {
			for _, id := range ids {
				group[id] = g
			}
		}
		for _, ch := range s.chanList {
			if gf, gt := group[ch.from], group[ch.to]; gf >= 0 && gt >= 0 && gf != gt {
				ch.state = Cut
			}
		}
		s.record(KFault, -1, -1, "partition", text)
	case "heal":
		for _, ch := range s.chanList {
			if ch.state == HeldState {
				s.release(ch)
			}
			ch.state = Up
		}
		s.record(KFault, -1, -1, "heal", text)
	case "cut", "hold":
		ch := s.channel(a.From, a.To)
		if ch == nil {
			s.record(KFault, -1, -1, a.Kind, text+": no such channel (ignored)")
			return
		}
		if a.Kind == "cut" {
			ch.state = Cut
		} else {
			ch.state = HeldState
		}
		s.record(KFault, -1, -1, a.Kind, text)
	case "release":
		for _, ch := range s.chanList {
			if ch.state == HeldState && (a.From < 0 || ch.from == a.From && ch.to == a.To) {
				s.release(ch)
			}
		}
		s.record(KFault, -1, -1, "release", text)
	case "drop", "delay":
		s.record(KFault, -1, -1, a.Kind, text)
		f := *a.Filter
		if f.ID >= 0 && f.ID < s.msgs.n {
			m := s.msgs.at(f.ID)
			if m.Status != InFlight && m.Status != Held {
				return
			}
			if a.Kind == "drop" {
				if m.Status == Held {
					s.unhold(m)
				}
				s.drop(m, "dropped by the user")
			} else if m.Status == InFlight {
				m.gen++
				m.DueAt += f.By
				s.push(m.DueAt, qDeliver, int32(m.ID), m.gen)
			}
			return
		}
		left := f.Count
		if left == 0 {
			left = -1
		}
		s.rules = append(s.rules, &rule{kind: a.Kind, f: f, left: left})
	default:
		panic(fmt.Sprintf("unknown action %q", a.Kind))
	}
}

type trigger struct {
	node int
	t    Trigger
	left int
}

func (s *Sim) crash(node int, text string) {
	s.crashed[node] = true
	s.epoch[node]++
	s.record(KCrash, node, -1, "crash", text)
}

// fire checks the armed crash triggers after node sent (or received) a
// message of type typ.
func (s *Sim) fire(node int, typ string, sent bool) {
	for i, tr := range s.triggers {
		if tr.node != node || tr.left == 0 || s.crashed[node] {
			continue
		}
		if sent && tr.t.Sends == typ || !sent && tr.t.Receives == typ {
			tr.left--
			if tr.left == 0 {
				s.triggers = append(s.triggers[:i:i], s.triggers[i+1:]...)
				what := "receiving"
				if sent {
					what = "sending"
				}
				s.crash(node, fmt.Sprintf("crash (after %s %d %s)", what, tr.t.Count, typ))
				return
			}
		}
	}
}

func (s *Sim) release(ch *channel) {
	ch.state = Up
	for _, id := range ch.held {
		m := s.msgs.at(int(id))
		if m.Status == Held {
			m.Status = InFlight
			m.gen++
			m.DueAt = s.now
			s.push(s.now, qDeliver, id, m.gen)
		}
	}
	ch.held = nil
}

func (s *Sim) unhold(m *Msg) {
	ch := s.channel(m.From, m.To)
	for i, id := range ch.held {
		if int(id) == m.ID {
			ch.held = append(ch.held[:i], ch.held[i+1:]...)
			break
		}
	}
}

// ChannelInfo describes one directed channel for the UI.
type ChannelInfo struct {
	From  int    `json:"from"`
	To    int    `json:"to"`
	State string `json:"state"`
	Held  int    `json:"held"`
}

// Channels lists the directed channels and their state.
func (s *Sim) Channels() []ChannelInfo {
	out := make([]ChannelInfo, len(s.chanList))
	for i, c := range s.chanList {
		out[i] = ChannelInfo{From: c.from, To: c.to, State: c.state.String(), Held: len(c.held)}
	}
	return out
}

// InFlight lists the messages in flight or held, in id order.
func (s *Sim) InFlight() []*Msg {
	var out []*Msg
	for _, it := range s.q.items {
		if it.kind != qDeliver {
			continue
		}
		m := s.msgs.at(int(it.ref))
		if m.gen == it.gen && m.Status == InFlight {
			out = append(out, m)
		}
	}
	for _, ch := range s.chanList {
		for _, id := range ch.held {
			out = append(out, s.msgs.at(int(id)))
		}
	}
	sortMsgs(out)
	return out
}

func sortMsgs(ms []*Msg) {
	sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
}

// TimerInfo is a pending timer, for the inspector.
type TimerInfo struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	At   int64  `json:"at"` // virtual µs when it fires
}

// PendingTimers lists a process's timers that will still fire, by time.
func (s *Sim) PendingTimers(node int) []TimerInfo {
	var out []TimerInfo
	for _, it := range s.q.items {
		if it.kind != qTimer {
			continue
		}
		t := &s.timers[it.ref]
		if int(t.node) == node && !t.cancelled && t.epoch == s.epoch[node] && !s.crashed[node] {
			out = append(out, TimerInfo{ID: int(it.ref), Name: t.name, At: int64(t.at / time.Microsecond)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At < out[j].At || out[i].At == out[j].At && out[i].ID < out[j].ID })
	return out
}

// Output is the protocol's output as it stands (nil when it has none).
func (s *Sim) Output() (out any) {
	o, ok := s.inst.(Outputter)
	if !ok {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			out = map[string]any{"error": fmt.Sprint(r)}
		}
	}()
	return o.Output(s)
}
