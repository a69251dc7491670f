//go:build js && wasm

// Command wasm is distlab's JavaScript bridge: the engine (core/) and the
// catalogue (protocols/) compiled to WebAssembly, exposed to the page as one
// global object, __distlabGo, that web/boot.js wraps into window.DistLab (the
// API of web/distlab.d.ts).
//
// The bridge is thin: it keeps simulations in a registry by integer handle,
// converts arguments, and encodes results (JSON text, parsed by boot.js; see
// BRIDGE.md for why). Every entry point recovers panics and returns a JS Error
// value instead, because a panic would stop the Go program for the whole page.
// Go functions run synchronously on the page's thread; main registers them and
// then blocks in select {} so that the program stays alive.
package main

import "syscall/js"

// version is the bridge's version (set at build time with
// -ldflags "-X main.version=...").
var version = "0.1.0-dev"

func main() {
	api := jsObject.New()
	api.Set("version", version)
	register(api, "protocols", apiProtocols)
	register(api, "protocol", apiProtocol)
	register(api, "validate", apiValidate)
	register(api, "create", apiCreate)
	register(api, "bench", apiBench)
	register(api, "_testPanic", apiTestPanic)

	sim := jsObject.New()
	for _, m := range simMethods {
		register(sim, m.name, m.entry())
	}
	register(sim, "dispose", simDispose)
	register(sim, "_eventsObjects", simEntry("_eventsObjects", false, simEventsObjects))
	api.Set("sim", sim)

	js.Global().Set("__distlabGo", api)
	if ready := js.Global().Get("__distlabGoReady"); ready.Type() == js.TypeFunction {
		ready.Invoke(api)
	}
	select {}
}
