package om

import (
	"fmt"
	"strings"

	"distlab/core"
)

// assumption says how a run stands against the paper's assumption (n ≥ 3m+1
// generals, at most m traitors), for the detail of a violated invariant.
func (in *instance) assumption(s *core.Sim) string {
	var bad []string
	for i := 0; i < in.n; i++ {
		if in.faulty(s, i) {
			bad = append(bad, Name(i))
		}
	}
	var broken []string
	if in.n < 3*in.m+1 {
		broken = append(broken, fmt.Sprintf("n = %d < 3m+1 = %d", in.n, 3*in.m+1))
	}
	if len(bad) > in.m {
		broken = append(broken, fmt.Sprintf("%d traitors > m = %d", len(bad), in.m))
	}
	who := "no traitors"
	if len(bad) > 0 {
		who = "traitors: " + strings.Join(bad, ", ")
	}
	if len(broken) == 0 {
		return fmt.Sprintf(" (%s; the assumption n ≥ 3m+1 with at most m traitors holds, so this is a bug)", who)
	}
	return fmt.Sprintf(" (%s; OM(%d) is not guaranteed here: %s)", who, in.m, strings.Join(broken, ", "))
}

func (in *instance) Invariants() []core.Invariant {
	return []core.Invariant{
		{Name: "IC1", Check: func(s *core.Sim, e *core.Event) (bool, string) {
			if e.Kind != core.KDecide {
				return true, ""
			}
			first := -1
			for i := 1; i < in.n; i++ {
				if in.decision[i] == "" || in.faulty(s, i) {
					continue
				}
				if first < 0 {
					first = i
				} else if in.decision[i] != in.decision[first] {
					return false, fmt.Sprintf("loyal %s decided %s but loyal %s decided %s%s", Name(first),
						strings.ToUpper(in.decision[first]), Name(i), strings.ToUpper(in.decision[i]), in.assumption(s))
				}
			}
			return true, ""
		}},
		{Name: "IC2", Check: func(s *core.Sim, e *core.Event) (bool, string) {
			if e.Kind != core.KDecide || in.faulty(s, 0) {
				return true, ""
			}
			for i := 1; i < in.n; i++ {
				if in.decision[i] != "" && !in.faulty(s, i) && in.decision[i] != in.order {
					return false, fmt.Sprintf("the commander is loyal and ordered %s but loyal %s decided %s%s",
						strings.ToUpper(in.order), Name(i), strings.ToUpper(in.decision[i]), in.assumption(s))
				}
			}
			return true, ""
		}},
		{Name: "termination", Final: true, Check: func(s *core.Sim, _ *core.Event) (bool, string) {
			var missing []string
			loyal := 0
			for i := 1; i < in.n; i++ {
				if in.faulty(s, i) {
					continue
				}
				loyal++
				if in.decision[i] == "" {
					missing = append(missing, Name(i))
				}
			}
			if len(missing) > 0 {
				return false, fmt.Sprintf("loyal %s did not decide by %v (OM(%d) decides at %v, after %d rounds of %v)",
					strings.Join(missing, ", "), s.Now(), in.m, in.round*durationOf(in.m+1), in.m+1, in.round)
			}
			return true, fmt.Sprintf("all %d loyal lieutenants decided", loyal)
		}},
	}
}

// sent counts the ORDER and RELAY messages sent, leaving out the copies the
// network made (duplicates are not sends).
func sent(s *core.Sim) int {
	c := 0
	for i := 0; i < s.NumMsgs(); i++ {
		if m := s.Msg(i); m.DupOf < 0 && (m.Type == "ORDER" || m.Type == "RELAY") {
			c++
		}
	}
	return c
}

func (in *instance) Metrics(s *core.Sim) map[string]float64 {
	t := 0
	for i := 0; i < in.n; i++ {
		if in.faulty(s, i) {
			t++
		}
	}
	return map[string]float64{
		"messages":          float64(sent(s)),
		"expected_messages": float64(PaperMessages(in.n, in.m)),
		"rounds":            float64(in.m + 1),
		"traitors":          float64(t),
	}
}

// Decision is one lieutenant's line in the output.
type Decision struct {
	Lieutenant string `json:"lieutenant"`
	Decision   string `json:"decision"`
	Loyal      bool   `json:"loyal"`
}

// Output is the decision table.
func (in *instance) Output(s *core.Sim) any {
	commander := "loyal"
	if in.faulty(s, 0) {
		commander = "traitor"
		if st := s.Strategy(0); st != "" {
			commander += " (" + st + ")"
		}
	}
	ds := make([]Decision, 0, in.n-1)
	for i := 1; i < in.n; i++ {
		ds = append(ds, Decision{Lieutenant: Name(i), Decision: in.decision[i], Loyal: !in.faulty(s, i)})
	}
	return map[string]any{"n": in.n, "m": in.m, "order": in.order, "commander": commander, "decisions": ds}
}
