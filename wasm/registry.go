//go:build js && wasm

package main

import (
	"fmt"
	"syscall/js"
	"time"

	"distlab/core"
)

// simHandle is one simulation in the registry. seek swaps sim for the
// replayed run; the handle (the page's reference) stays.
type simHandle struct {
	id        int
	sim       *core.Sim
	buf       []byte // reused for event batches
	panicNext string // test hook: the next call of this method panics
}

var (
	sims   = map[int]*simHandle{}
	nextID = 1
)

func addSim(s *core.Sim) int {
	h := &simHandle{id: nextID, sim: s}
	sims[h.id] = h
	nextID++
	return h.id
}

// lookup finds the handle in args[0].
func lookup(method string, args []js.Value) (*simHandle, error) {
	id, err := intArg(method, "simulation handle", arg(args, 0), 0, 1<<53)
	if err != nil {
		return nil, err
	}
	h := sims[int(id)]
	if h == nil {
		if id > 0 && int(id) < nextID {
			return nil, fmt.Errorf("%s: simulation %d has been disposed", method, id)
		}
		return nil, fmt.Errorf("%s: there is no simulation %d", method, id)
	}
	return h, nil
}

// simDispose forgets a simulation; disposing twice is not an error.
func simDispose(args []js.Value) (any, error) {
	id, err := intArg("dispose", "simulation handle", arg(args, 0), 0, 1<<53)
	if err != nil {
		return nil, err
	}
	if int(id) >= nextID {
		return nil, fmt.Errorf("dispose: there is no simulation %d", id)
	}
	delete(sims, int(id))
	return nil, nil
}

// simMethod is one method of a Simulation. Methods that mutate run under
// guard: if they panic, the simulation is rebuilt at its previous state.
type simMethod struct {
	name    string
	mutates bool
	fn      func(h *simHandle, args []js.Value) (any, error)
}

func (m simMethod) entry() entry { return simEntry(m.name, m.mutates, m.fn) }

func simEntry(name string, mutates bool, fn func(h *simHandle, args []js.Value) (any, error)) entry {
	return func(args []js.Value) (any, error) {
		h, err := lookup(name, args)
		if err != nil {
			return nil, err
		}
		if !mutates {
			defer h.testHook(name)
			return fn(h, args[1:])
		}
		return h.guard(name, func() (any, error) {
			defer h.testHook(name)
			return fn(h, args[1:])
		})
	}
}

func (h *simHandle) testHook(name string) {
	if h.panicNext == name {
		h.panicNext = ""
		panic("forced panic (test hook)")
	}
}

// guard runs a mutating call; on a panic it restores the simulation by
// deterministic replay (the same scenario, live actions and step count) and
// reports the panic as an error.
func (h *simHandle) guard(method string, f func() (any, error)) (out any, err error) {
	old := h.sim
	sc, live, steps, now := old.Scenario(), old.RecordedActions(), old.Steps(), old.Now()
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		out = nil
		restored, rerr := core.Replay(sc, live, steps)
		if rerr != nil {
			delete(sims, h.id)
			err = fmt.Errorf("%s: internal error: %v (recovered, but the simulation could not be rebuilt and has been disposed: %v)", method, r, rerr)
			return
		}
		if restored.Now() < now {
			restored.RunUntil(now) // runUntil had moved the clock past the last step
		}
		h.sim, h.buf = restored, nil
		err = fmt.Errorf("%s: internal error: %v (recovered; the simulation is back at step %d)", method, r, steps)
	}()
	return f()
}

func micros(d time.Duration) float64 { return float64(d / time.Microsecond) }
