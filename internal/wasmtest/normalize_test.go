package wasmtest

import (
	"encoding/json"
	"fmt"
	"testing"

	"distlab/core"
	"distlab/protocols"
)

// TestNormalizedRunsTheSame: validate() and sim.scenario() show the scenario
// with every default written out (core's Scenario.Normalized); loading that
// again must give the very same run, for every protocol in the catalogue.
func TestNormalizedRunsTheSame(t *testing.T) {
	for _, p := range protocols.Catalog {
		for _, in := range []string{
			fmt.Sprintf(`{"protocol": %q}`, p.Name),
			fmt.Sprintf(`{"protocol": %q, "seed": 99, "until": "1500ms", "network": {"loss": 0.05}}`, p.Name),
		} {
			sc, err := core.ParseScenario([]byte(in), protocols.Catalog)
			if err != nil {
				t.Fatalf("%s: %v", in, err)
			}
			norm := sc.Normalized()
			for _, k := range []string{"protocol", "seed", "nodes", "until", "topology", "network"} {
				if _, ok := norm[k]; !ok {
					t.Errorf("%s: normalized scenario has no %q", in, k)
				}
			}
			b, err := json.Marshal(norm)
			if err != nil {
				t.Fatal(err)
			}
			again, err := core.ParseScenario(b, protocols.Catalog)
			if err != nil {
				t.Fatalf("%s: the normalized scenario does not load: %v\n%s", in, err, b)
			}
			h1, h2 := runHash(t, sc), runHash(t, again)
			if h1 != h2 {
				t.Errorf("%s: normalizing changed the run\n%s", in, b)
			}
		}
	}
}

func runHash(t *testing.T, sc *core.Scenario) string {
	t.Helper()
	s, err := core.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	s.Run()
	return s.TraceHash()
}

// TestValidateShowsNormalized: the page's validate() and sim.scenario() are
// the native normalized scenario.
func TestValidateShowsNormalized(t *testing.T) {
	e := setup(t)
	in := `{"protocol": "script", "seed": 5, "params": {}}`
	out := e.run(t, []step{
		{Do: "api", Fn: "validate", Args: []any{in}},
		{Do: "create", Args: []any{in}, As: "a"},
		{Do: "sim", Sim: "a", Fn: "scenario"},
		{Do: "sim", Sim: "a", Fn: "protocol"},
		{Do: "api", Fn: "protocol", Args: []any{"script"}},
		{Do: "api", Fn: "protocols"},
	})
	sc, err := core.ParseScenario([]byte(in), protocols.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	json.Unmarshal([]byte(marshal(t, sc.Normalized())), &want)
	for _, i := range []int{0, 2} {
		var got any
		json.Unmarshal(out[i].OK, &got)
		if marshal(t, got) != marshal(t, want) {
			t.Errorf("step %d: %s, want %s", i, out[i].OK, marshal(t, want))
		}
	}
	var info, info2 core.ProtocolInfo
	json.Unmarshal(out[3].OK, &info)
	json.Unmarshal(out[4].OK, &info2)
	if info.Name != "script" || marshal(t, info) != marshal(t, info2) {
		t.Errorf("sim.protocol() %s, DistLab.protocol(\"script\") %s", out[3].OK, out[4].OK)
	}
	var all []core.ProtocolInfo
	json.Unmarshal(out[5].OK, &all)
	if marshal(t, all) != marshal(t, core.Describe(protocols.Catalog)) {
		t.Errorf("protocols() differs from the catalogue")
	}
}
