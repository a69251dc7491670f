package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"
)

// ScenarioError is a bad-input error: where (a path such as
// "faults[2].crash"), what is wrong, and optionally the closest valid name.
type ScenarioError struct {
	Path string
	Msg  string
}

func (e *ScenarioError) Error() string {
	if e.Path == "" {
		return "scenario: " + e.Msg
	}
	return "scenario: " + e.Path + ": " + e.Msg
}

// Errorf makes a ScenarioError at path.
func Errorf(path, format string, args ...any) error {
	return &ScenarioError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Suggest returns the closest of valid to s, or "" if nothing is close: a
// valid name that s begins (or is contained in), else the nearest by edit
// distance within about a third of its length.
func Suggest(s string, valid []string) string {
	ls := strings.ToLower(s)
	if len(ls) >= 3 {
		for _, v := range valid {
			if strings.HasPrefix(strings.ToLower(v), ls) {
				return v
			}
		}
	}
	best, bestD := "", 1<<30
	for _, v := range valid {
		d := levenshtein.ComputeDistance(ls, strings.ToLower(v))
		if d < bestD {
			best, bestD = v, d
		}
	}
	if best == "" {
		return ""
	}
	if bestD <= max(2, len(best)/3) {
		return best
	}
	if len(ls) >= 3 {
		for _, v := range valid {
			if strings.Contains(strings.ToLower(v), ls) {
				return v
			}
		}
	}
	return ""
}

// unknownName formats "unknown X "s"; did you mean "t"? (valid: a, b, c)".
func unknownName(what, s string, valid []string) string {
	msg := fmt.Sprintf("unknown %s %q", what, s)
	if sug := Suggest(s, valid); sug != "" {
		msg += fmt.Sprintf("; did you mean %q?", sug)
	}
	if len(valid) > 0 && len(valid) <= 24 {
		msg += " (valid: " + strings.Join(valid, ", ") + ")"
	}
	return msg
}

// Value is a piece of parsed JSON together with its path in the scenario, so
// that every error can say where it is. Protocols read their params of type
// "json" and their workload through it.
type Value struct {
	Path string
	V    any // nil, bool, json.Number, string, []any, map[string]any
	keys []string
}

// ParseJSON parses data into a Value rooted at path.
func ParseJSON(path string, data []byte) (Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return Value{}, &ScenarioError{Path: path, Msg: "malformed JSON: " + jsonErr(data, err)}
	}
	if dec.More() {
		return Value{}, &ScenarioError{Path: path, Msg: "malformed JSON: unexpected data after the top-level value"}
	}
	return Value{Path: path, V: v}, nil
}

func jsonErr(data []byte, err error) string {
	var off int64 = -1
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		off = e.Offset
	}
	if off < 0 {
		return err.Error()
	}
	line, col := 1, 1
	for i := int64(0); i < off && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("%v (line %d, column %d)", err, line, col)
}

// Null reports whether the value is absent or JSON null.
func (v Value) Null() bool { return v.V == nil }

func (v Value) child(k string) string {
	if v.Path == "" {
		return k
	}
	return v.Path + "." + k
}

func (v Value) errf(format string, args ...any) error {
	return &ScenarioError{Path: v.Path, Msg: fmt.Sprintf(format, args...)}
}

func typeName(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", x)
}

// Object checks that v is an object whose keys are all in allowed (an
// unknown key is an error that suggests the closest allowed one).
func (v Value) Object(allowed ...string) error {
	m, ok := v.V.(map[string]any)
	if !ok {
		return v.errf("expected an object, got %s", typeName(v.V))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		found := false
		for _, a := range allowed {
			if a == k {
				found = true
				break
			}
		}
		if !found {
			return &ScenarioError{Path: v.child(k), Msg: unknownName("key", k, allowed)}
		}
	}
	return nil
}

// IsObject reports whether v is a JSON object.
func (v Value) IsObject() bool { _, ok := v.V.(map[string]any); return ok }

// IsList reports whether v is a JSON list.
func (v Value) IsList() bool { _, ok := v.V.([]any); return ok }

// IsString reports whether v is a JSON string.
func (v Value) IsString() bool { _, ok := v.V.(string); return ok }

// Has reports whether the object v has key k.
func (v Value) Has(k string) bool {
	m, ok := v.V.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m[k]
	return ok
}

// Get returns v[k] (a null Value when absent).
func (v Value) Get(k string) Value {
	m, _ := v.V.(map[string]any)
	return Value{Path: v.child(k), V: m[k]}
}

// Keys returns the object's keys, sorted.
func (v Value) Keys() []string {
	m, _ := v.V.(map[string]any)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// List returns the elements of a list, each with its path.
func (v Value) List() ([]Value, error) {
	l, ok := v.V.([]any)
	if !ok {
		return nil, v.errf("expected a list, got %s", typeName(v.V))
	}
	out := make([]Value, len(l))
	for i, x := range l {
		out[i] = Value{Path: fmt.Sprintf("%s[%d]", v.Path, i), V: x}
	}
	return out, nil
}

// Int returns an integer within [lo, hi].
func (v Value) Int(lo, hi int) (int, error) {
	n, ok := v.V.(json.Number)
	if !ok {
		return 0, v.errf("expected an integer, got %s", typeName(v.V))
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, v.errf("expected an integer, got %s", n)
	}
	if i < int64(lo) || i > int64(hi) {
		return 0, v.errf("%d is out of range (%d..%d)", i, lo, hi)
	}
	return int(i), nil
}

// Uint returns an unsigned 64-bit integer.
func (v Value) Uint() (uint64, error) {
	n, ok := v.V.(json.Number)
	if !ok {
		return 0, v.errf("expected an unsigned integer, got %s", typeName(v.V))
	}
	u, err := strconv.ParseUint(string(n), 10, 64)
	if err != nil {
		return 0, v.errf("expected an unsigned integer, got %s", n)
	}
	return u, nil
}

// Float returns a number within [lo, hi].
func (v Value) Float(lo, hi float64) (float64, error) {
	n, ok := v.V.(json.Number)
	if !ok {
		return 0, v.errf("expected a number, got %s", typeName(v.V))
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, v.errf("expected a number, got %s", n)
	}
	if f < lo || f > hi {
		return 0, v.errf("%v is out of range (%v..%v)", f, lo, hi)
	}
	return f, nil
}

// Bool returns a boolean.
func (v Value) Bool() (bool, error) {
	b, ok := v.V.(bool)
	if !ok {
		return false, v.errf("expected true or false, got %s", typeName(v.V))
	}
	return b, nil
}

// String returns a string.
func (v Value) String() (string, error) {
	s, ok := v.V.(string)
	if !ok {
		return "", v.errf("expected a string, got %s", typeName(v.V))
	}
	return s, nil
}

// Enum returns a string that must be one of valid.
func (v Value) Enum(what string, valid []string) (string, error) {
	s, err := v.String()
	if err != nil {
		return "", err
	}
	for _, x := range valid {
		if x == s {
			return s, nil
		}
	}
	return "", v.errf("%s", unknownName(what, s, valid))
}

// MaxDuration bounds every duration in a scenario.
const MaxDuration = 24 * time.Hour

// Duration returns a non-negative duration such as "5ms" or "1.5s".
func (v Value) Duration() (time.Duration, error) {
	s, ok := v.V.(string)
	if !ok {
		return 0, v.errf("expected a duration such as \"5ms\", got %s", typeName(v.V))
	}
	d, err := ParseDuration(s)
	if err != nil {
		return 0, v.errf("%v", err)
	}
	return d, nil
}

// ParseDuration parses a non-negative duration no longer than MaxDuration,
// with a microsecond resolution (the trace's unit).
func ParseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (write e.g. \"250us\", \"5ms\", \"2s\")", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	if d > MaxDuration {
		return 0, fmt.Errorf("duration %q is longer than the limit of %v", s, MaxDuration)
	}
	return d.Truncate(time.Microsecond), nil
}

// Node returns a process id within 0..n-1.
func (v Value) Node(n int) (int, error) {
	num, ok := v.V.(json.Number)
	if !ok {
		return 0, v.errf("expected a node id, got %s", typeName(v.V))
	}
	i, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil {
		return 0, v.errf("expected a node id (an integer), got %s", num)
	}
	if i < 0 || i >= int64(n) {
		return 0, v.errf("node %d does not exist (nodes are 0..%d)", i, n-1)
	}
	return int(i), nil
}

// Raw re-encodes the value as compact JSON.
func (v Value) Raw() []byte {
	b, _ := json.Marshal(v.V)
	return b
}
