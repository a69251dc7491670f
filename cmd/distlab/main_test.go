package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"distlab/internal/simtest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func cli(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// vectorExample is the seed's section 2 example (P1 sends m1 to P2, P2 m2
// to P3, then P1 has a local event), whose clocks the CLI must print.
const vectorExample = simtest.SeedVectorExample

func TestRunPrintsTheSeedsVectorClocks(t *testing.T) {
	code, out, _ := cli(t, vectorExample, "run", "-")
	require.Equal(t, 0, code)
	for _, want := range []string{"send m1 to P1", "[1,0,0]", "[1,1,0]", "[1,2,0]", "[1,2,1]", "[2,0,0]"} {
		assert.Contains(t, out, want)
	}
}

func TestRunJSONContract(t *testing.T) {
	dir := t.TempDir()
	tr, sv := filepath.Join(dir, "t.jsonl"), filepath.Join(dir, "s.log")
	code, out, errs := cli(t, vectorExample, "run", "-", "--json", "--trace", tr, "--shiviz", sv, "--seed", "9")
	require.Equal(t, 0, code, errs)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &sum))
	for _, k := range []string{"protocol", "seed", "nodes", "end", "events", "messages", "invariants", "metrics", "trace_sha256"} {
		assert.Contains(t, sum, k)
	}
	assert.EqualValues(t, 9, sum["seed"])
	trace, err := os.ReadFile(tr)
	require.NoError(t, err)
	assert.Equal(t, int(sum["events"].(float64)), strings.Count(string(trace), "\n"))
	log, err := os.ReadFile(sv)
	require.NoError(t, err)
	assert.Contains(t, string(log), "P2 {\"P0\": 1, \"P1\": 2, \"P2\": 1}")
	// --until overrides.
	_, out2, _ := cli(t, vectorExample, "run", "-", "--json", "--until", "2ms")
	var sum2 map[string]any
	require.NoError(t, json.Unmarshal([]byte(out2), &sum2))
	assert.Less(t, sum2["events"].(float64), sum["events"].(float64))
}

func TestExitCodes(t *testing.T) {
	code, _, errs := cli(t, `{"protocol": "script", "nodez": 3}`, "run", "-")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `did you mean "nodes"?`)
	code, _, errs = cli(t, "", "run", "no-such-file.json")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "no such file, and not a protocol name")
	code, _, errs = cli(t, "", "run", "scrpt")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `did you mean "script"?`)
	code, _, errs = cli(t, "", "rnu")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `did you mean "run"?`)
	code, _, _ = cli(t, "", "run", "-", "--seed", "x")
	assert.Equal(t, 2, code)
	// A violated invariant exits 1: a crashed process leaves its scripted
	// events undone.
	code, out, _ := cli(t, `{"protocol": "script", "nodes": 2, "until": "50ms",
	  "workload": {"events": [{"at": "10ms", "node": 1, "do": "local"}]},
	  "faults": [{"at": "5ms", "crash": 1}]}`, "run", "-")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "FAIL script-complete")
}

func TestCheckSweepsSeeds(t *testing.T) {
	code, out, errs := cli(t, "", "check", "script", "--seeds", "20")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "all 20 seeds (1..20) pass")
	code, out, _ = cli(t, `{"protocol": "script", "nodes": 2, "until": "50ms",
	  "workload": {"events": [{"at": "10ms", "node": 1, "do": "local"}]},
	  "faults": [{"at": "5ms", "crash": 1}]}`, "check", "-", "--seeds", "5", "--json")
	assert.Equal(t, 1, code)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.EqualValues(t, 1, res["first_failing_seed"])
	assert.Equal(t, "script-complete", res["invariant"])
}

func TestList(t *testing.T) {
	code, out, _ := cli(t, "", "list")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "script")
	code, out, _ = cli(t, "", "list", "--json")
	require.Equal(t, 0, code)
	var ps []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &ps))
	require.NotEmpty(t, ps)
	for _, p := range ps {
		for _, k := range []string{"name", "title", "section", "params", "message_types", "invariants", "default"} {
			assert.Contains(t, p, k, p["name"])
		}
	}
}

func TestServeGzipsTheWasm(t *testing.T) {
	dir := t.TempDir()
	wasm := bytes.Repeat([]byte("\x00asm distlab "), 10000)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.wasm"), wasm, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte("<!doctype html><title>x</title>"), 0o644))
	srv := httptest.NewServer(pageHandler(dir))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/main.wasm", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
	assert.Equal(t, "application/wasm", resp.Header.Get("Content-Type"))
	zr, err := gzip.NewReader(resp.Body)
	require.NoError(t, err)
	got, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, wasm, got)
	// Without Accept-Encoding: plain.
	resp2, err := http.Get(srv.URL + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	assert.Contains(t, string(body), "<title>x</title>")
}
