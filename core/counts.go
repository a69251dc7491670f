package core

// NodeCounts are one process's message counts.
type NodeCounts struct {
	Sent      int `json:"sent"`
	Delivered int `json:"delivered"`
	Dropped   int `json:"dropped"`
}

// CountsByNode counts messages per process: sent by it (network duplicates
// not counted), delivered to it, and dropped on their way to it. It reads the
// message records, so the engine's step pays nothing for it.
func (s *Sim) CountsByNode() []NodeCounts {
	out := make([]NodeCounts, s.n)
	for id := 0; id < s.msgs.n; id++ {
		m := s.msgs.at(id)
		if m.DupOf < 0 && m.From >= 0 && m.From < s.n {
			out[m.From].Sent++
		}
		if m.To < 0 || m.To >= s.n {
			continue
		}
		switch m.Status {
		case Delivered:
			out[m.To].Delivered++
		case Dropped:
			out[m.To].Dropped++
		}
	}
	return out
}
