package wasmtest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"distlab/core"
)

// Storm size for the side-by-side figures: core's BenchmarkStorm16 and the
// page's DistLab.bench() default run the same.
const (
	stormNodes  = 16
	stormEvents = 200_000
	stormReps   = 5
)

// TestBenchSideBySide prints engine throughput on the message storm natively
// and in wasm under Node (DistLab.bench), the cost of moving event batches
// across the bridge (JSON text vs JS objects), and main.wasm's size:
//
//	go test ./internal/wasmtest -run TestBenchSideBySide -v
//
// It asserts nothing about speed (the machine decides that); it fails only if
// a run breaks.
func TestBenchSideBySide(t *testing.T) {
	if testing.Short() || !testing.Verbose() {
		t.Skip("prints benchmark figures: run with -v (and without -short)")
	}
	e := setup(t)

	var native []float64
	for i := 0; i < stormReps; i++ {
		sc, err := core.StormScenario(stormNodes, 1)
		if err != nil {
			t.Fatal(err)
		}
		s, err := core.New(sc)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		n := s.RunEvents(stormEvents)
		native = append(native, float64(n)/time.Since(start).Seconds())
	}

	var r struct {
		Node  string `json:"node"`
		Storm []struct {
			Events       int     `json:"events"`
			EventsPerSec float64 `json:"events_per_sec"`
		} `json:"storm"`
		Bridge map[string]any `json:"bridge"`
	}
	e.node(t, "bench", nil, &r, "--nodes", fmt.Sprint(stormNodes), "--events", fmt.Sprint(stormEvents), "--reps", fmt.Sprint(stormReps))
	var wasm []float64
	for _, s := range r.Storm {
		if s.Events < stormEvents {
			t.Fatalf("DistLab.bench ran %d events, asked for %d", s.Events, stormEvents)
		}
		wasm = append(wasm, s.EventsPerSec)
	}

	raw, err := os.ReadFile(e.wasm)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(raw)
	w.Close()

	var b strings.Builder
	fmt.Fprintf(&b, "\nmessage storm, %d nodes, %d events, median of %d (%s/%s, %d CPUs)\n", stormNodes, stormEvents, stormReps, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintf(&b, "  %-26s%6.2f M events/s  (%.0f ns/event)\n", "native ("+runtime.Version()+"):", median(native)/1e6, 1e9/median(native))
	fmt.Fprintf(&b, "  %-26s%6.2f M events/s  (%.0f ns/event)\n", "wasm in Node "+r.Node+":", median(wasm)/1e6, 1e9/median(wasm))
	fmt.Fprintf(&b, "  %-26s%6.2f\n", "wasm / native:", median(wasm)/median(native))
	fmt.Fprintf(&b, "event batches across the bridge, %v events per call (µs per event, median of 5)\n", r.Bridge["events"])
	for _, k := range []string{"json", "objects", "json_text_only", "json_vc", "objects_vc", "json_text_only_vc"} {
		if m, ok := r.Bridge[k].(map[string]any); ok {
			fmt.Fprintf(&b, "  %-20s %6.2f µs/event\n", k, m["us_per_event"])
		}
	}
	fmt.Fprintf(&b, "main.wasm: %.2f MB, gzipped (-9) %.2f MB\n", float64(len(raw))/1e6, float64(gz.Len())/1e6)
	t.Log(b.String())
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
