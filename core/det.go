package core

import (
	"cmp"
	"slices"
)

// SortedKeys returns the keys of m in ascending order: the way to range over
// a map when the order can be observed (messages sent, events, output), since
// Go's map iteration order is random. The result is never nil, so an empty
// map encodes as [] in JSON.
func SortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
