package core_test

import (
	"strings"
	"testing"

	"distlab/core"
)

func TestSoleList(t *testing.T) {
	parse := func(js string) core.Value {
		t.Helper()
		v, err := core.ParseJSON("workload", []byte(js))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, js := range []string{`null`, `{}`, `{"waits": null}`} {
		if l, ok, err := parse(js).SoleList("waits"); ok || err != nil || l != nil {
			t.Errorf("%s: got %v, %v, %v; want nothing given", js, l, ok, err)
		}
	}
	l, ok, err := parse(`{"waits": [[0, 1], {"waiter": 1}]}`).SoleList("waits")
	if err != nil || !ok || len(l) != 2 || l[1].Path != "workload.waits[1]" {
		t.Fatalf("got %v, %v, %v; want two elements with their paths", l, ok, err)
	}
	if l, ok, err := parse(`{"waits": []}`).SoleList("waits"); err != nil || !ok || len(l) != 0 {
		t.Fatalf("an empty list: got %v, %v, %v; want given and empty", l, ok, err)
	}
	for js, want := range map[string]string{
		`{"wait": []}`:      `workload.wait: unknown key "wait"`,
		`[]`:                `workload: expected an object`,
		`{"waits": "0->1"}`: `workload.waits: expected a list`,
	} {
		_, ok, err := parse(js).SoleList("waits")
		if err == nil || ok || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, %v; want an error containing %q", js, ok, err, want)
		}
	}
}
