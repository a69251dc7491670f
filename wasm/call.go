//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"syscall/js"
	"unsafe"

	"distlab/core"
)

var (
	jsObject = js.Global().Get("Object")
	jsArray  = js.Global().Get("Array")
	jsError  = js.Global().Get("Error")
	jsJSON   = js.Global().Get("JSON")
)

// entry is one bridge function: it gets the JS arguments and returns a value
// js.ValueOf accepts (string, number, bool, nil, js.Value) or an error.
type entry func(args []js.Value) (any, error)

// register exposes f as obj[name]. An error becomes a returned JS Error
// (boot.js throws it); a panic is recovered and reported the same way.
func register(obj js.Value, name string, f entry) {
	obj.Set(name, js.FuncOf(func(this js.Value, args []js.Value) (out any) {
		defer func() {
			if r := recover(); r != nil {
				out = jsError.New(fmt.Sprintf("%s: internal error: %v (recovered; the engine keeps running)", name, r))
			}
		}()
		v, err := f(args)
		if err != nil {
			return jsError.New(err.Error())
		}
		return v
	}))
}

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

// typeOf names a JS value's type for error messages ("number", "array").
func typeOf(v js.Value) (t string) {
	defer func() {
		if recover() != nil {
			t = "bigint" // the only typeof syscall/js cannot classify
		}
	}()
	switch v.Type() {
	case js.TypeUndefined:
		return "undefined"
	case js.TypeNull:
		return "null"
	case js.TypeBoolean:
		return "boolean"
	case js.TypeNumber:
		return "number"
	case js.TypeString:
		return "string"
	case js.TypeSymbol:
		return "symbol"
	case js.TypeFunction:
		return "function"
	}
	if jsArray.Call("isArray", v).Bool() {
		return "array"
	}
	return "object"
}

// intArg reads an integer argument within [lo, hi].
func intArg(method, name string, v js.Value, lo, hi int64) (int64, error) {
	if t := typeOf(v); t != "number" {
		return 0, fmt.Errorf("%s: %s: expected an integer, got %s", method, name, t)
	}
	f := v.Float()
	if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) {
		return 0, fmt.Errorf("%s: %s: expected an integer, got %v", method, name, f)
	}
	if f < float64(lo) || f > float64(hi) {
		return 0, fmt.Errorf("%s: %s: %v is out of range (%d..%d)", method, name, f, lo, hi)
	}
	return int64(f), nil
}

// jsonArg accepts a JSON string or a plain object/array (stringified here)
// and returns JSON text for core's path-aware parser.
func jsonArg(method, what string, v js.Value, objectOK bool) (data []byte, err error) {
	switch t := typeOf(v); {
	case t == "string":
		return []byte(v.String()), nil
	case objectOK && (t == "object" || t == "array"):
		defer func() {
			if r := recover(); r != nil {
				data, err = nil, fmt.Errorf("%s: %s cannot be turned into JSON: %v", method, what, r)
			}
		}()
		return []byte(jsJSON.Call("stringify", v).String()), nil
	default:
		return nil, fmt.Errorf("%s: expected %s or JSON string, got %s", method, what, t)
	}
}

// inputErr turns core's "scenario: PATH: MSG" into "METHOD: PATH: MSG" for
// arguments that are not a scenario (an action, a cut, seek's target).
func inputErr(method string, err error) error {
	var se *core.ScenarioError
	if errors.As(err, &se) {
		if se.Path == "" {
			return fmt.Errorf("%s: %s", method, se.Msg)
		}
		return fmt.Errorf("%s: %s: %s", method, se.Path, se.Msg)
	}
	return fmt.Errorf("%s: %v", method, err)
}

// jsonResult encodes v as JSON text (boot.js parses it).
func jsonResult(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return bytesString(b), nil
}

// bytesString hands b to JS as a string without copying it in Go first
// (syscall/js decodes the bytes into a JS string immediately).
func bytesString(b []byte) js.Value {
	if len(b) == 0 {
		return js.ValueOf("")
	}
	return js.ValueOf(unsafe.String(unsafe.SliceData(b), len(b)))
}
