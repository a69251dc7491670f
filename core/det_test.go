package core_test

import (
	"encoding/json"
	"slices"
	"testing"

	"distlab/core"
)

func TestSortedKeys(t *testing.T) {
	ints := core.SortedKeys(map[int]bool{5: true, -1: false, 3: true, 0: true})
	if got, want := ints, []int{-1, 0, 3, 5}; !slices.Equal(got, want) {
		t.Fatalf("SortedKeys(ints) = %v, want %v", got, want)
	}
	strs := core.SortedKeys(map[string]int{"b": 1, "a": 2, "B": 3, "": 4})
	if got, want := strs, []string{"", "B", "a", "b"}; !slices.Equal(got, want) {
		t.Fatalf("SortedKeys(strings) = %q, want %q", got, want)
	}
	empty := core.SortedKeys(map[int]string{})
	if b, _ := json.Marshal(empty); string(b) != "[]" {
		t.Fatalf("the keys of an empty map encode as %s, want []", b)
	}
	if b, _ := json.Marshal(core.SortedKeys[int, int](nil)); string(b) != "[]" {
		t.Fatalf("the keys of a nil map encode as %s, want []", b)
	}
}
