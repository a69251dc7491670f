package core_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCountsByNodeAddUp(t *testing.T) {
	s := newSim(t, `{"protocol": "pinger", "seed": 4, "nodes": 4, "until": "200ms",
	  "network": {"latency": "1ms..9ms", "loss": 0.1, "duplicate": 0.1},
	  "faults": [{"at": "50ms", "crash": 2}]}`)
	s.Run()
	sum := s.Summarize()
	var sent, delivered, dropped int
	for _, c := range s.CountsByNode() {
		sent += c.Sent
		delivered += c.Delivered
		dropped += c.Dropped
	}
	assert.Equal(t, sum.Messages.Sent, sent)
	assert.Equal(t, sum.Messages.Delivered, delivered)
	assert.Equal(t, sum.Messages.Dropped, dropped)
	assert.Greater(t, s.CountsByNode()[2].Dropped, 0, "messages to the crashed P2 are dropped")
}
