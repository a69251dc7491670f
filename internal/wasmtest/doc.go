// Package wasmtest tests the JavaScript bridge (wasm/ and web/boot.js) from
// native Go: it builds main.wasm with GOOS=js GOARCH=wasm, drives it under
// Node through web/boot.js (wasm/testdata/run.mjs), and compares what the
// page would see with the native engine, byte for byte. It also prints the
// storm benchmark natively and in wasm side by side:
//
//	go test ./internal/wasmtest -run TestBenchSideBySide -v
//
// The tests skip (saying why) when node is not on PATH.
package wasmtest
