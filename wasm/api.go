//go:build js && wasm

package main

import (
	"fmt"
	"strings"
	"syscall/js"
	"time"

	"distlab/core"
	"distlab/protocols"
)

var protocolsJSON js.Value // the catalogue never changes: encode it once

func apiProtocols(args []js.Value) (any, error) {
	if protocolsJSON.IsUndefined() {
		v, err := jsonResult(core.Describe(protocols.Catalog))
		if err != nil {
			return nil, err
		}
		protocolsJSON = v.(js.Value)
	}
	return protocolsJSON, nil
}

func apiProtocol(args []js.Value) (any, error) {
	v := arg(args, 0)
	if t := typeOf(v); t != "string" {
		return nil, fmt.Errorf("protocol: expected a protocol name (a string), got %s", t)
	}
	name := v.String()
	p := protocols.Catalog.Lookup(name)
	if p == nil {
		names := protocols.Catalog.Names()
		msg := fmt.Sprintf("protocol: unknown protocol %q", name)
		if s := core.Suggest(name, names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return nil, fmt.Errorf("%s (valid: %s)", msg, strings.Join(names, ", "))
	}
	return jsonResult(p.Info())
}

// scenarioArg parses and validates a scenario given as an object or JSON text.
// Its errors are core's ("scenario: faults[2].crash: ...").
func scenarioArg(method string, v js.Value) (*core.Scenario, error) {
	data, err := jsonArg(method, "a scenario object", v, true)
	if err != nil {
		return nil, err
	}
	return core.ParseScenario(data, protocols.Catalog)
}

func apiValidate(args []js.Value) (any, error) {
	sc, err := scenarioArg("validate", arg(args, 0))
	if err != nil {
		return nil, err
	}
	return jsonResult(sc.Normalized())
}

func apiCreate(args []js.Value) (any, error) {
	sc, err := scenarioArg("create", arg(args, 0))
	if err != nil {
		return nil, err
	}
	s, err := core.New(sc)
	if err != nil {
		return nil, err
	}
	return addSim(s), nil
}

// Bench limits: the storm keeps every event, about 160 bytes each, and the
// page's memory never shrinks once grown.
const (
	benchDefaultNodes  = 16
	benchDefaultEvents = 200_000
	benchMaxEvents     = 2_000_000
)

// apiBench times the message storm (core.StormProtocol) inside the page.
func apiBench(args []js.Value) (any, error) {
	nodes, events := int64(benchDefaultNodes), int64(benchDefaultEvents)
	if o := arg(args, 0); !o.IsUndefined() && !o.IsNull() {
		data, err := jsonArg("bench", "an options object such as {nodes: 16, events: 200000}", o, true)
		if err != nil {
			return nil, err
		}
		v, err := core.ParseJSON("", data)
		if err != nil {
			return nil, inputErr("bench", err)
		}
		if err := v.Object("nodes", "events"); err != nil {
			return nil, inputErr("bench", err)
		}
		if x := v.Get("nodes"); !x.Null() {
			n, err := x.Int(-1<<31, 1<<31-1)
			if err != nil {
				return nil, inputErr("bench", err)
			}
			nodes = int64(n)
		}
		if x := v.Get("events"); !x.Null() {
			n, err := x.Int(1, benchMaxEvents)
			if err != nil {
				return nil, inputErr("bench", err)
			}
			events = int64(n)
		}
	}
	sc, err := core.StormScenario(int(nodes), 1)
	if err != nil {
		return nil, inputErr("bench", err)
	}
	s, err := core.New(sc)
	if err != nil {
		return nil, inputErr("bench", err)
	}
	start := time.Now()
	n := s.RunEvents(int(events))
	elapsed := time.Since(start)
	ms := float64(elapsed) / float64(time.Millisecond)
	return jsonResult(map[string]any{
		"nodes": nodes, "events": n, "ms": ms,
		"events_per_sec": float64(n) / elapsed.Seconds(),
	})
}

// apiTestPanic exists so that tests can prove the recovery path: with no
// arguments it panics at once; with (handle, method) it arms that
// simulation so the next call of method panics after doing its work, which
// must leave the simulation at its previous state.
func apiTestPanic(args []js.Value) (any, error) {
	if len(args) == 0 {
		panic("forced panic (test hook)")
	}
	h, err := lookup("_testPanic", args)
	if err != nil {
		return nil, err
	}
	m := arg(args, 1)
	if typeOf(m) != "string" {
		return nil, fmt.Errorf("_testPanic: expected a method name")
	}
	h.panicNext = m.String()
	return nil, nil
}
