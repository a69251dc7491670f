package core_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"distlab/core"
	"distlab/protocols"
)

// Golden runs: the trace hash, the summary and every message record of a
// handful of runs, recorded before the engine's hot path was tuned. Any
// change to the engine's internals must leave them byte-identical; a change
// that is meant to alter traces must say so and update these constants
// (print the new ones with DISTLAB_GOLDEN=print go test ./core -run Golden -v).

type goldenRun struct {
	name string
	sim  func(t *testing.T) *core.Sim
}

func goldenRuns() []goldenRun {
	scenario := func(js string) func(t *testing.T) *core.Sim {
		return func(t *testing.T) *core.Sim {
			s := newSim(t, js)
			s.Run()
			return s
		}
	}
	var runs []goldenRun
	runs = append(runs, goldenRun{"storm16-50k", func(t *testing.T) *core.Sim {
		sc, err := core.StormScenario(16, 1)
		if err != nil {
			t.Fatal(err)
		}
		s, err := core.New(sc)
		if err != nil {
			t.Fatal(err)
		}
		s.RunEvents(50_000)
		return s
	}})
	runs = append(runs, goldenRun{"storm300-random-lossy", func(t *testing.T) *core.Sim {
		p := *core.StormProtocol()
		sc, err := core.ParseScenario([]byte(`{"protocol": "storm", "nodes": 300, "seed": 5, "until": "24h",
		  "topology": {"shape": "random", "degree": 6},
		  "network": {"latency": "1ms..30ms", "fifo": false, "loss": 0.02, "duplicate": 0.03}}`), core.Catalog{&p})
		if err != nil {
			t.Fatal(err)
		}
		s, err := core.New(sc)
		if err != nil {
			t.Fatal(err)
		}
		s.RunEvents(30_000)
		return s
	}})
	for _, p := range protocols.Catalog {
		runs = append(runs,
			goldenRun{p.Name + "-default", scenario(p.Default)},
			goldenRun{p.Name + "-lossy", scenario(fmt.Sprintf(`{"protocol": %q, "seed": 99, "until": "1500ms", "network": {"latency": "1ms..12ms", "fifo": false, "loss": 0.05, "duplicate": 0.05}}`, p.Name))},
		)
	}
	runs = append(runs, goldenRun{"pinger-faults", scenario(`{"protocol": "pinger", "seed": 2, "nodes": 4, "until": "400ms",
	  "network": {"latency": "2ms..6ms", "loss": 0.05, "duplicate": 0.05},
	  "faults": [
	    {"at": "20ms", "crash": 1},
	    {"at": "60ms", "recover": 1},
	    {"at": "70ms", "byzantine": 2, "strategy": "loud"},
	    {"at": "80ms", "partition": [[0, 1], [2, 3]]},
	    {"at": "120ms", "heal": true},
	    {"at": "130ms", "cut": [0, 3]},
	    {"at": "140ms", "hold": [3, 0]},
	    {"at": "180ms", "release": [3, 0]},
	    {"at": "190ms", "drop": {"type": "PONG", "count": 3}},
	    {"at": "200ms", "delay": {"type": "PING", "from": 0, "by": "30ms", "count": 2}},
	    {"at": "210ms", "input": 0, "data": "hello"},
	    {"at": "250ms", "crash": 3, "after": {"sends": "PING", "count": 2}}
	  ]}`)})
	return runs
}

// goldenDigest hashes what a run exposes: the trace, the summary and the
// message records.
func goldenDigest(s *core.Sim) (trace, rest string) {
	h := sha256.New()
	sum, err := json.Marshal(s.Summarize())
	if err != nil {
		panic(err)
	}
	h.Write(sum)
	for id := 0; id < s.NumMsgs(); id++ {
		m := s.Msg(id)
		fmt.Fprintf(h, "%d %d %d %s %d %d %d %d %d %s %d %q %s\n", m.ID, m.From, m.To, m.Type, m.SendEvent, m.RecvEvent, m.DropEvent,
			m.SentAt, m.DueAt, m.Status, m.DupOf, s.DropReason(id), m.Payload)
	}
	for i := 0; i < s.NumEvents(); i++ {
		e := s.Event(i)
		fmt.Fprintf(h, "%d %d %d %d %d %d %s %q %q\n", e.ID, e.Node, e.T, e.Lamport, e.Own, e.Msg, e.Kind, e.Aux, s.Text(e))
	}
	return s.TraceHash(), hex.EncodeToString(h.Sum(nil))
}

var golden = map[string][2]string{ // trace_sha256, summary+messages+events digest
	"storm16-50k":              {"8b4a87f7bd132548a6ae93dbb1318c18ab2fcf0cf4a639eb183dcf1fe5c0a9e7", "d9917ed136b92dc7e3edcfdea74a687ddd3b889c30f425bfef6af6bd8d96bd74"},
	"storm300-random-lossy":    {"117878da8c57561a914df6631b6e52b6af4c817bca2aca50a8fad5cefdab49f8", "c8acfa0d413cbb63e65b4ba4d2d89608bfcb260bd1c79bb0d80f1c2c9aac3789"},
	"script-default":           {"cfce0e2cd3ddb97df30bd984e6700d54931255b0c82bb14647846e8a171e5ba9", "bd51f3e80a538009f9258bfa7579d09346dc8f887f4dfa378da8a79be4283745"},
	"script-lossy":             {"d478d72bbb43f894f0ae251b914af8a5a6c451a1d90578d4a5675f8877a23e0f", "a463e93902348d53cc8c3c8897b93dfbadf498e7e6b73fc61bad007d4aaec423"},
	"snapshot-default":         {"07986cdd8e4e8e3076f8088c58629f2fd7a674c891c09520f3519fef55cea069", "64a5d70bf4f5d99254b139c7e38237076710bb5b633168952d606c9491155e7f"},
	"snapshot-lossy":           {"bb049d7bcab6694aaefa294a0b8f0f41dcc39fd897228b663279fd8b71644067", "7e2b0ce89ffcac948c6c272db8c889471c215af10b63862da5748758b9b3fb2e"},
	"deadlock-cmh-default":     {"3ed65fe9d89aa2cc9c6b9a5ea2aeb2925415ca6ce1ff7c159804038b703caf6d", "40f51f2c5d17ab745295dc1836ecbb8870cae8a239a5808a45ce02b149f1d14f"},
	"deadlock-cmh-lossy":       {"51760b5b09c323af50bbfb54e5e951ca4303d05557e3cfef229441307634b457", "73694189ef3a3061d9d8ed6f02f8f68954628a8fe196aab5dedebfa0772bafbb"},
	"deadlock-central-default": {"dfe72dbf7d6178680c0ad59f3631df6813a5802468c3af6fa98918f48fe3c34d", "8953bb69749b6ee7d705ed6fbd920acdad745f5de5bab2cf21a2086283fab0f2"},
	"deadlock-central-lossy":   {"c15fe1569fe053335729d3e3b783f9b6922dc5331cabbd162386fa980ea3570a", "4058b244527ee9becd42307389c64b395c1c97811fb5ad32c55ee6fa0a0310aa"},
	"om-default":               {"76242ef829f8a0ffaf97b2af69f9f5ec346081f93b5a5c097101fd0c86b344c6", "ff271641dbaf71063a90d2588435fd7764e9e0e983119f52083b39b9a0dff9dd"},
	"om-lossy":                 {"0ccc93c3084f80fcd92e22f1f3da378555e83b1e6130fa27c8381668ae230b52", "6268b61bcb7b83027d45b8c60e215ec336b6eb53a504a3c3dadb66ae65e84703"},
	"pbft-default":             {"d47995c35033a874fba23404ac7c5ad8b3777998bc9772e58a47c7f588c0a07f", "0f3f2363981c3a255896f0b9392ceaee6ac00c6d4d386042816e33ad12bf702f"},
	"pbft-lossy":               {"49f05c1b21fdb96ca2a719d39adec52a55a336851c21e616b40ab0b185b4cdae", "9d230046effa3bdff9bb384df360b9910b810c460caa6e222659db59c9e114fa"},
	"pinger-faults":            {"6954d8d9e5ec98cda6b1f82c1710e65371c789324dd211668eed3313f1b43423", "04799ff6cf900b966a948e64d61352d4aa4bc97a23726e2dadde4aa5736969d8"},
}

func TestGoldenTraces(t *testing.T) {
	print := os.Getenv("DISTLAB_GOLDEN") == "print"
	for _, r := range goldenRuns() {
		s := r.sim(t)
		if s.Err() != nil {
			t.Fatalf("%s: %v", r.name, s.Err())
		}
		tr, rest := goldenDigest(s)
		if print {
			fmt.Printf("\t%q: {%q, %q}, // %d events\n", r.name, tr, rest, s.NumEvents())
			continue
		}
		want, ok := golden[r.name]
		if !ok {
			t.Errorf("%s: no golden hashes recorded", r.name)
			continue
		}
		if tr != want[0] {
			t.Errorf("%s: trace_sha256 %s, want %s", r.name, tr, want[0])
		}
		if rest != want[1] {
			t.Errorf("%s: summary/messages digest %s, want %s", r.name, rest, want[1])
		}
	}
}
