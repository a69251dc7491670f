package wasmtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"distlab/core"
	"distlab/protocols"
)

// nativeSummary is what `distlab run --json` prints for the scenario (minus
// the newline), and the trace's JSON Lines.
func nativeSummary(t *testing.T, scenario string) (summary []byte, trace []byte) {
	t.Helper()
	sc, err := core.ParseScenario([]byte(scenario), protocols.Catalog)
	if err != nil {
		t.Fatalf("%s: %v", short(scenario), err)
	}
	sim, err := core.New(sc)
	if err != nil {
		t.Fatalf("%s: %v", short(scenario), err)
	}
	sim.Run()
	var tr bytes.Buffer
	if _, err := sim.WriteTrace(&tr); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(sim.Summarize())
	if err != nil {
		t.Fatal(err)
	}
	return b, tr.Bytes()
}

// summaryScenarios is the script protocol's default with a few seeds (one
// beyond 2^53, which only a JSON string carries exactly), then every
// catalogue protocol's default and one other seed.
func summaryScenarios() []string {
	list := []string{
		`{"protocol": "script"}`,
		`{"protocol": "script", "seed": 2, "network": {"latency": "1ms..10ms"}}`,
		`{"protocol": "script", "seed": 12345, "network": {"latency": "1ms..30ms", "fifo": false}}`,
		`{"protocol": "script", "seed": 18446744073709551615, "network": {"latency": "1ms..9ms", "loss": 0.3}}`,
	}
	// Past the engine's first clock checkpoint (256 events), with loss,
	// duplicates and reordering.
	list = append(list, bigScript(8, 300, 5, `"network": {"latency": "1ms..20ms", "fifo": false, "loss": 0.1, "duplicate": 0.1}`))
	for _, p := range protocols.Catalog {
		if p.Name == "script" {
			continue
		}
		// The default scenario (with its faults: traitors, crashes), and the
		// protocol's defaults without faults at another seed.
		list = append(list, p.Default, fmt.Sprintf(`{"protocol": %q, "seed": 7}`, p.Name))
	}
	return list
}

// bigScript is a script scenario with many sends (and a local event every
// localEvery sends), plus extra top-level keys.
func bigScript(nodes, sends, localEvery int, extra string) string {
	var evs []string
	for i := 0; i < sends; i++ {
		from := i % nodes
		to := (from + 1 + i%(nodes-1)) % nodes
		evs = append(evs, fmt.Sprintf(`{"at": "%dus", "node": %d, "do": "send", "to": %d, "label": "m%d"}`, 100+i*97, from, to, i))
		if i%localEvery == 0 {
			evs = append(evs, fmt.Sprintf(`{"at": "%dus", "node": %d, "do": "local", "label": "e%d"}`, 150+i*97, to, i))
		}
	}
	if extra != "" {
		extra = ", " + extra
	}
	return fmt.Sprintf(`{"protocol": "script", "nodes": %d, "until": "200ms"%s, "workload": {"events": [%s]}}`, nodes, extra, strings.Join(evs, ", "))
}

// TestSummaryMatchesNative: for the same scenario the page's sim.summary()
// is the command line's summary, to the byte and the trace hash, and the
// page's exports are the command line's files.
func TestSummaryMatchesNative(t *testing.T) {
	e := setup(t)
	scenarios := summaryScenarios()
	var steps []step
	for i, sc := range scenarios {
		s := fmt.Sprint("s", i)
		steps = append(steps,
			step{Do: "create", Args: []any{sc}, As: s},
			step{Do: "sim", Sim: s, Fn: "run"},
			step{Do: "sim", Sim: s, Fn: "summaryJSON"},
			step{Do: "sim", Sim: s, Fn: "summary"},
			step{Do: "sim", Sim: s, Fn: "exportTrace"},
			step{Do: "sim", Sim: s, Fn: "done"},
			step{Do: "sim", Sim: s, Fn: "dispose"},
		)
	}
	out := e.run(t, steps)
	const per = 7
	for i, sc := range scenarios {
		r := out[i*per : (i+1)*per]
		for _, o := range r {
			if o.Threw {
				t.Fatalf("%s: %v", short(sc), o)
			}
		}
		want, trace := nativeSummary(t, sc)
		got := r[2].str(t)
		if got != string(want) {
			t.Errorf("%s: summary differs\n wasm:   %s\n native: %s", short(sc), got, want)
			continue
		}
		// The parsed object (what summary() returns) holds the same data.
		var a, b any
		json.Unmarshal(r[3].OK, &a)
		json.Unmarshal(want, &b)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: summary() object differs from the native summary\n wasm:   %s\n native: %s", short(sc), r[3].OK, want)
		}
		gotTrace := r[4].str(t)
		if gotTrace != string(trace) {
			t.Errorf("%s: exportTrace differs from the native trace (%d vs %d bytes)", short(sc), len(gotTrace), len(trace))
		}
		var sum core.Summary
		json.Unmarshal(want, &sum)
		if h := sha256.Sum256(trace); hex.EncodeToString(h[:]) != sum.TraceSHA256 {
			t.Errorf("%s: trace_sha256 is not the hash of the trace", short(sc))
		}
		if string(r[5].OK) != "true" {
			t.Errorf("%s: done() = %s after run()", short(sc), r[5].OK)
		}
		t.Logf("%s: %d events, trace %s…", short(sc), sum.Events, sum.TraceSHA256[:12])
	}
}

// short abbreviates a scenario for logs.
func short(sc string) string {
	if len(sc) > 100 {
		return sc[:100] + "…"
	}
	return sc
}

// TestCommandLineAgrees runs the real command line on each catalogue
// protocol and compares with the page: the contract is "sim.summary() equals
// distlab run --json".
func TestCommandLineAgrees(t *testing.T) {
	e := setup(t)
	bin := filepath.Join(e.dir, "distlab")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/distlab")
	cmd.Dir = e.root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/distlab: %v\n%s", err, out)
	}
	var steps []step
	names := protocols.Catalog.Names()
	for i, name := range names {
		s := fmt.Sprint("s", i)
		steps = append(steps,
			// `distlab run NAME` runs the protocol's default scenario.
			step{Do: "create", Args: []any{protocols.Catalog.Lookup(name).Default}, As: s},
			step{Do: "sim", Sim: s, Fn: "run"},
			step{Do: "sim", Sim: s, Fn: "summaryJSON"},
			step{Do: "sim", Sim: s, Fn: "exportShiViz"},
		)
	}
	out := e.run(t, steps)
	for i, name := range names {
		shiviz := filepath.Join(e.dir, name+".shiviz")
		cmd := exec.Command(bin, "run", name, "--json", "--shiviz", shiviz)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); err != nil && !(ok && ee.ExitCode() == 1) {
			t.Fatalf("distlab run %s --json: %v\n%s", name, err, stderr.String())
		}
		if got := out[i*4+2].str(t) + "\n"; got != stdout.String() {
			t.Errorf("%s: the page's summary differs from distlab run --json\n page: %s cli:  %s", name, got, stdout.String())
		}
		want, err := os.ReadFile(shiviz)
		if err != nil {
			t.Fatal(err)
		}
		if got := out[i*4+3].str(t); got != string(want) {
			t.Errorf("%s: exportShiViz differs from distlab run --shiviz (%d vs %d bytes)", name, len(got), len(want))
		}
	}
}

// TestEventsMatchTrace: the event batches the page reads are the trace's
// lines plus "own", with "vc" when asked for, in batches that continue.
func TestEventsMatchTrace(t *testing.T) {
	e := setup(t)
	sc := bigScript(6, 200, 3, `"seed": 3, "network": {"latency": "1ms..20ms", "fifo": false, "duplicate": 0.05}`)
	out := e.run(t, []step{
		{Do: "create", Args: []any{sc}, As: "a"},
		{Do: "sim", Sim: "a", Fn: "run"},
		{Do: "sim", Sim: "a", Fn: "events", Args: []any{0, 300, map[string]any{"vc": true}}},
		{Do: "sim", Sim: "a", Fn: "events", Args: []any{300, 100000, map[string]any{"vc": true}}},
		{Do: "sim", Sim: "a", Fn: "events", Args: []any{0, 100000}},
		{Do: "sim", Sim: "a", Fn: "event", Args: []any{5}},
		{Do: "sim", Sim: "a", Fn: "eventCount"},
	})
	for _, o := range out {
		if o.Threw {
			t.Fatal(o)
		}
	}
	_, trace := nativeSummary(t, sc)
	lines := strings.Split(strings.TrimSuffix(string(trace), "\n"), "\n")
	type batch struct {
		Events []map[string]any `json:"events"`
		Next   int              `json:"next"`
		Total  int              `json:"total"`
	}
	var b1, b2, plain batch
	json.Unmarshal(out[2].OK, &b1)
	json.Unmarshal(out[3].OK, &b2)
	json.Unmarshal(out[4].OK, &plain)
	if len(b1.Events) != 300 || b1.Next != 300 || b1.Total != len(lines) {
		t.Fatalf("first batch: %d events, next %d, total %d (trace has %d)", len(b1.Events), b1.Next, b1.Total, len(lines))
	}
	if b2.Next != len(lines) || len(b1.Events)+len(b2.Events) != len(lines) {
		t.Fatalf("second batch: next %d, %d events", b2.Next, len(b2.Events))
	}
	if string(out[6].OK) != fmt.Sprint(len(lines)) {
		t.Fatalf("eventCount %s, trace has %d lines", out[6].OK, len(lines))
	}
	all := append(b1.Events, b2.Events...)
	for i, line := range lines {
		var want map[string]any
		json.Unmarshal([]byte(line), &want)
		got := all[i]
		if _, ok := got["own"]; !ok {
			t.Fatalf("event %d has no own", i)
		}
		if vc, ok := want["vc"].([]any); ok && want["node"].(float64) >= 0 {
			if own := vc[int(want["node"].(float64))]; own != got["own"] {
				t.Errorf("event %d: own %v, but its vector clock says %v", i, got["own"], own)
			}
		}
		delete(got, "own")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("event %d:\n batch: %v\n trace: %v", i, got, want)
		}
		p := plain.Events[i]
		if _, ok := p["vc"]; ok {
			t.Errorf("event %d carries vc without {vc: true}", i)
		}
		delete(want, "vc")
		delete(p, "own")
		if !reflect.DeepEqual(p, want) {
			t.Errorf("event %d without vc:\n batch: %v\n trace: %v", i, p, want)
		}
	}
	var ev map[string]any
	json.Unmarshal(out[5].OK, &ev)
	delete(ev, "own")
	var want5 map[string]any
	json.Unmarshal([]byte(lines[5]), &want5)
	if len(lines) < 600 {
		t.Fatalf("only %d events: the scenario should pass several clock checkpoints", len(lines))
	}
	if !reflect.DeepEqual(ev, want5) {
		t.Errorf("event(5) = %v, trace line 5 = %v", ev, want5)
	}
}
