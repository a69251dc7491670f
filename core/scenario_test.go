package core_test

import (
	"strings"
	"testing"

	"distlab/core"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScenarioErrors(t *testing.T) {
	cases := map[string]string{
		`{"protocol": "pinger", "nodes": 3,`:                                                       "malformed JSON",
		`[]`:                                                                                       "expected an object",
		`{"nodes": 3}`:                                                                             "protocol: missing",
		`{"protocol": "pingr"}`:                                                                    `unknown protocol "pingr"; did you mean "pinger"?`,
		`{"protocol": "pinger", "nodez": 3}`:                                                       `nodez: unknown key "nodez"; did you mean "nodes"?`,
		`{"protocol": "pinger", "nodes": 0}`:                                                       "nodes: 0 nodes is out of range",
		`{"protocol": "pinger", "nodes": 100000}`:                                                  "nodes: 100000 nodes is out of range: pinger runs with 1..4096 nodes",
		`{"protocol": "pinger", "nodes": 2.5}`:                                                     "nodes: expected an integer",
		`{"protocol": "pinger", "seed": -1}`:                                                       "seed: expected an unsigned integer",
		`{"protocol": "pinger", "until": "-2s"}`:                                                   `until: duration "-2s" is negative`,
		`{"protocol": "pinger", "until": "2 days"}`:                                                `until: "2 days" is not a duration`,
		`{"protocol": "pinger", "until": "1000h"}`:                                                 "longer than the limit",
		`{"protocol": "pinger", "until": 5}`:                                                       `until: expected a duration such as "5ms"`,
		`{"protocol": "pinger", "topology": "rng"}`:                                                `did you mean "ring"?`,
		`{"protocol": "pinger", "topology": {"edges": [[0, 7]]}}`:                                  "topology.edges[0][1]: node 7 does not exist (nodes are 0..3)",
		`{"protocol": "pinger", "topology": {"edges": [[0, 0]]}}`:                                  "a link from node 0 to itself",
		`{"protocol": "pinger", "topology": {"edges": [[0, 1], [1, 0]]}}`:                          "already given at topology.edges[0]",
		`{"protocol": "pinger", "topology": {"edges": [[0, 1, {"latncy": "1ms"}]]}}`:               `did you mean "latency"?`,
		`{"protocol": "pinger", "network": {"latency": "9ms..1ms"}}`:                               "the maximum is below the minimum",
		`{"protocol": "pinger", "network": {"loss": 1.5}}`:                                         "network.loss: 1.5 is out of range (0..1)",
		`{"protocol": "pinger", "network": {"fifo": "yes"}}`:                                       "network.fifo: expected true or false",
		`{"protocol": "pinger", "faults": [{"at": "1ms", "crash": 7}]}`:                            "faults[0].crash: node 7 does not exist (nodes are 0..3)",
		`{"protocol": "pinger", "faults": [{"at": "1ms"}]}`:                                        "faults[0]: no action",
		`{"protocol": "pinger", "faults": [{"at": "1ms", "partition": [[0, 1], [1, 2]]}]}`:         "node 1 is already in the group",
		`{"protocol": "pinger", "params": {"perod": "1ms"}}`:                                       `params.perod: unknown key "perod"; did you mean "period"?`,
		`{"protocol": "pinger", "params": {"period": "2h"}}`:                                       "params.period: 2h0m0s is out of range",
		`{"protocol": "pinger", "nodes": 1000}`:                                                    "the engine's limit is 262144",
		`{"protocol": "script", "workload": {"events": [{"at": "1ms", "node": 0, "do": "jump"}]}}`: `workload.events[0].do: unknown action "jump"`,
	}
	for in, want := range cases {
		_, err := core.ParseScenario([]byte(in), testCatalog)
		if assert.Error(t, err, in) {
			assert.Contains(t, err.Error(), want, in)
			assert.True(t, strings.HasPrefix(err.Error(), "scenario: ") || strings.Contains(err.Error(), "scenario"), err.Error())
		}
	}
}

func TestScenarioDefaults(t *testing.T) {
	sc, err := core.ParseScenario([]byte(`{"protocol": "pinger", "seed": 4}`), testCatalog)
	require.NoError(t, err)
	assert.Equal(t, 4, sc.Nodes, "from the protocol's default scenario")
	assert.Equal(t, uint64(4), sc.Seed)
	assert.Equal(t, "complete", sc.Topology.Shape)
	assert.True(t, sc.Network.FIFO)
}

func TestTopologies(t *testing.T) {
	for shape, wantEdges := range map[string]int{"complete": 6 * 5, "ring": 12, "line": 10, "star": 10, "tree": 10, "grid": 2 * 7} {
		s := newSim(t, `{"protocol": "pinger", "nodes": 6, "until": "10ms", "topology": "`+shape+`"}`)
		assert.Len(t, s.Channels(), wantEdges, shape)
	}
	s := newSim(t, `{"protocol": "pinger", "nodes": 30, "until": "10ms", "topology": {"shape": "random", "degree": 4}}`)
	assert.GreaterOrEqual(t, len(s.Channels()), 2*29)
	s = newSim(t, `{"protocol": "pinger", "nodes": 3, "until": "10ms", "topology": {"edges": [[0, 1], [1, 2, {"latency": "5ms"}]], "directed": true}}`)
	assert.Len(t, s.Channels(), 2)
	assert.Equal(t, []int{1}, s.Neighbors(0))
	assert.Empty(t, s.Neighbors(2))
}

// FuzzScenario: whatever the input, parsing and a short run never panic.
// The checked-in corpus in testdata/fuzz runs as a normal test.
func FuzzScenario(f *testing.F) {
	for _, s := range []string{
		`{"protocol": "pinger"}`,
		seedVectorExample,
		`{"protocol": "pinger", "nodes": 5, "topology": {"edges": [[0, 1], [1, 2, {"latency": "5ms..9ms", "loss": 0.5}]]}, "faults": [{"at": "1ms", "partition": [[0], [1, 2]]}, {"at": "2ms", "heal": true}]}`,
		`{"protocol": "script", "workload": {"events": [{"at": "1ms", "node": 0, "do": "send", "to": 2}]}}`,
		`{"protocol": "pinger", "faults": [{"at": "3ms", "drop": {"type": "PING", "count": 0}}, {"at": "1ms", "step": 4, "crash": 1}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := core.ParseScenario(data, testCatalog)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "scenario") && !strings.Contains(err.Error(), ":") {
				t.Fatalf("error without a place: %v", err)
			}
			return
		}
		if sc.Nodes > 64 {
			return
		}
		s, err := core.New(sc)
		if err != nil {
			return
		}
		s.RunEvents(2000)
		_ = s.Summarize()
	})
}
