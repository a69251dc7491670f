package pbft

import (
	"fmt"
	"strings"

	"distlab/core"
)

// accept is called when client idx accepts result for req: it must be the
// result a correct replica computed.
func (in *instance) accept(idx int, req Request, result string) {
	in.accepted[idx] = append(in.accepted[idx], result)
	if in.wrongResult != "" {
		return
	}
	want, ok := in.results[fmt.Sprintf("%d/%d", req.Client, req.T)]
	switch {
	case !ok:
		in.wrongResult = fmt.Sprintf("C%d accepted %s for %s, which no correct replica has executed", idx, result, req)
	case want != result:
		in.wrongResult = fmt.Sprintf("C%d accepted %s for %s but correct replicas computed %s", idx, result, req, want)
	}
}

// traitors names the replicas that are or were faulty, against f.
func (in *instance) assumption(s *core.Sim) string {
	var bad []string
	for i := 0; i < in.nR; i++ {
		if s.Strategy(i) != "" {
			bad = append(bad, fmt.Sprintf("R%d (%s)", i, s.Strategy(i)))
		} else if s.Crashed(i) {
			bad = append(bad, fmt.Sprintf("R%d (crashed)", i))
		}
	}
	var broken []string
	if in.nR < 3*in.f+1 {
		broken = append(broken, fmt.Sprintf("n = %d < 3f+1 = %d", in.nR, 3*in.f+1))
	}
	if len(bad) > in.f {
		broken = append(broken, fmt.Sprintf("%d faulty replicas > f = %d", len(bad), in.f))
	}
	who := "no faulty replicas"
	if len(bad) > 0 {
		who = "faulty: " + strings.Join(bad, ", ")
	}
	if len(broken) == 0 {
		return " (" + who + ")"
	}
	return fmt.Sprintf(" (%s; PBFT is not guaranteed here: %s)", who, strings.Join(broken, ", "))
}

func (in *instance) Invariants() []core.Invariant {
	return []core.Invariant{
		{Name: "same-order", Check: func(s *core.Sim, e *core.Event) (bool, string) {
			if in.safety != "" {
				return false, in.safety + in.assumption(s)
			}
			return true, ""
		}},
		{Name: "correct-result", Check: func(s *core.Sim, e *core.Event) (bool, string) {
			if in.wrongResult != "" {
				return false, in.wrongResult + in.assumption(s)
			}
			return true, ""
		}},
		{Name: "every-request-commits", Final: true, Check: func(s *core.Sim, _ *core.Event) (bool, string) {
			var short []string
			for c := 0; c < in.nC; c++ {
				if s.Crashed(in.nR + c) {
					continue
				}
				if got := len(in.accepted[c]); got < in.requests {
					short = append(short, fmt.Sprintf("C%d has %d of %d", c, got, in.requests))
				}
			}
			if len(short) > 0 {
				return false, fmt.Sprintf("not every request was accepted by %v: %s%s", s.Now(), strings.Join(short, ", "), in.assumption(s))
			}
			return true, fmt.Sprintf("all %d requests accepted", in.requests*in.nC)
		}},
	}
}

// count is the number of messages of a type sent (network duplicates are
// copies, not sends).
func count(s *core.Sim) map[string]int {
	out := map[string]int{}
	for i := 0; i < s.NumMsgs(); i++ {
		if m := s.Msg(i); m.DupOf < 0 {
			out[m.Type]++
		}
	}
	return out
}

func (in *instance) Metrics(s *core.Sim) map[string]float64 {
	c := count(s)
	acc := 0
	for _, a := range in.accepted {
		acc += len(a)
	}
	out := map[string]float64{"requests_accepted": float64(acc),
		"view_change_messages": float64(c["VIEW-CHANGE"] + c["NEW-VIEW"])}
	view := 0
	for i := 0; i < in.nR; i++ {
		if r, ok := s.Node(i).(*replica); ok && s.Strategy(i) == "" {
			view = max(view, r.view)
		}
	}
	out["view"] = float64(view)
	if acc > 0 {
		total := 0
		for _, v := range c {
			total += v
		}
		per := func(t string) float64 { return float64(c[t]) / float64(acc) }
		out["messages_per_request"] = float64(total) / float64(acc)
		out["request_per_request"] = per("REQUEST")
		out["pre_prepare_per_request"] = per("PRE-PREPARE")
		out["prepare_per_request"] = per("PREPARE")
		out["commit_per_request"] = per("COMMIT")
		out["reply_per_request"] = per("REPLY")
		out["checkpoint_per_request"] = per("CHECKPOINT")
	}
	return out
}

// ReplicaOutput is one replica's line in the output.
type ReplicaOutput struct {
	Replica          string   `json:"replica"`
	Faulty           string   `json:"faulty,omitempty"`
	View             int      `json:"view"`
	StableCheckpoint int      `json:"stable_checkpoint"`
	Executed         []string `json:"executed"` // "n:digest" in sequence order
}

// ClientOutput is one client's line.
type ClientOutput struct {
	Client   string   `json:"client"`
	Accepted []string `json:"accepted"`
}

func (in *instance) Output(s *core.Sim) any {
	var reps []ReplicaOutput
	for i := 0; i < in.nR; i++ {
		o := ReplicaOutput{Replica: fmt.Sprintf("R%d", i), Faulty: s.Strategy(i), Executed: []string{}}
		if o.Faulty == "" && s.Crashed(i) {
			o.Faulty = "crashed"
		}
		if r, ok := s.Node(i).(*replica); ok {
			o.View, o.StableCheckpoint = r.view, r.h
		}
		for _, n := range core.SortedKeys(in.exec[i]) {
			o.Executed = append(o.Executed, fmt.Sprintf("%d:%s", n, short(in.exec[i][n])))
		}
		reps = append(reps, o)
	}
	var cls []ClientOutput
	for c := 0; c < in.nC; c++ {
		acc := append([]string{}, in.accepted[c]...)
		cls = append(cls, ClientOutput{Client: fmt.Sprintf("C%d", c), Accepted: acc})
	}
	return map[string]any{"n": in.nR, "f": in.f, "replicas": reps, "clients": cls}
}
