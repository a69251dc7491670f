// Package core is distlab's engine: a deterministic discrete-event simulation
// of processes exchanging messages over a virtual network.
//
// # Determinism
//
// Virtual time only (no wall clock), no goroutines, one seeded PCG source
// (Env.Rand) for every random choice; map iteration never decides anything
// observable. The same scenario, seed and live actions give the same trace,
// natively and in WebAssembly. Random draws use integer arithmetic
// (latencies in whole microseconds, probabilities in parts per million).
//
// # Writing a protocol
//
// A protocol is a package under protocols/ exporting a *Protocol (registry
// entry) whose Build validates params/workload (errors via Errorf with a
// path, read through Value/Build helpers) and returns an Instance. The
// Instance makes Nodes (NewNode is called at start and at every recovery)
// and may implement Checked (invariants), Measured (metrics) and Outputter.
//
// A Node is a pure state machine: Start, Receive (one handler per message
// type, named as in the paper), Timer. It acts only through its Env: Send,
// Broadcast, SetTimer/CancelTimer, Local (a local event of the model: ticks
// clocks), Phase (annotation with a phase name from Protocol.Phases), Decide
// (an output), Note, Store/Load (stable storage that survives crashes),
// Strategy (the Byzantine strategy, "" when honest). Messages are small
// structs implementing Message: Type() is the paper's name in capitals,
// String() a deterministic one-liner.
//
// Safety invariants are called after every trace event (with the event);
// final ones once at the end (e == nil). They may read the Sim: Node(i),
// Crashed(i), Strategy(i), Event(i), Msg(id), VC(i), HappensBefore, CheckCut.
//
// # Clocks
//
// Only local, send and receive are events of the book's model and tick the
// Lamport and vector clocks (tick before every event; piggyback on send;
// max-merge then tick on receive). Other kinds annotate the trace and carry
// the clocks as they stand. Vector clocks are recomputed on demand from
// checkpoints (see clock.go), so the trace costs O(1) memory per event.
package core
