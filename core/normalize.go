package core

import "time"

// Normalized is the scenario as JSON data with the engine's defaults written
// out (seed, nodes, until, topology, the network's latency and FIFO flag, and
// every parameter that has a default), so that a page or a user sees exactly
// what runs. The user's own keys are kept as given; parsing the result again
// gives the same run.
func (sc *Scenario) Normalized() map[string]any {
	m := make(map[string]any, len(sc.Raw)+6)
	for k, v := range sc.Raw {
		m[k] = v
	}
	m["protocol"] = sc.Protocol
	m["seed"] = sc.Seed
	m["nodes"] = sc.Nodes
	m["until"] = fmtDur(sc.Until)
	if _, ok := m["topology"]; !ok {
		m["topology"] = sc.Topology.Shape
	}
	net := map[string]any{}
	if given, ok := m["network"].(map[string]any); ok {
		for k, v := range given {
			net[k] = v
		}
	}
	if _, ok := net["latency"]; !ok {
		net["latency"] = fmtLatency(sc.Network.LatMin, sc.Network.LatMax)
	}
	if _, ok := net["fifo"]; !ok {
		net["fifo"] = sc.Network.FIFO
	}
	m["network"] = net
	if len(sc.proto.Params) > 0 {
		params := map[string]any{}
		if given, ok := m["params"].(map[string]any); ok {
			for k, v := range given {
				params[k] = v
			}
		}
		for _, p := range sc.proto.Params {
			if _, ok := params[p.Name]; !ok && p.Default != nil {
				params[p.Name] = p.Default
			}
		}
		m["params"] = params
	}
	return m
}

func fmtLatency(lo, hi time.Duration) string {
	if lo == hi {
		return fmtDur(lo)
	}
	return fmtDur(lo) + ".." + fmtDur(hi)
}

// RecordedActions is every live action known to the run, applied or still
// queued after a seek: what a replay (Replay, SeekStep) re-applies.
func (s *Sim) RecordedActions() []Action { return s.allLive() }
