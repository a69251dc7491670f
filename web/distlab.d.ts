// The browser API of distlab: one global object, `window.DistLab`, defined by
// the page's boot script and filled in by the Go program (wasm/) once it runs.
// Every method that takes input throws a JavaScript `Error` whose message says
// what is wrong and where (`scenario: faults[2].crash: node 7 does not exist
// (nodes are 0..4)`); a Go panic is recovered and thrown the same way, and the
// simulation it happened in stays usable at its previous state.
// Messages start with the method's name (`inject: action.crash: P1 is already
// crashed`, `events: cursor: expected an integer, got string`), except
// scenario errors from validate/create, which start with `scenario:`.
// Calling anything before `DistLab.ready` resolves throws.
//
// Times crossing the bridge are virtual microseconds (numbers). Structured
// results are fresh objects parsed from JSON (see wasm/BRIDGE.md): keep them.

export interface Kindspec {
  name: string;
  doc?: string;
  color?: string;     // CSS colour for message types and phases
  expected?: string;  // the book's figure, for metrics ("3(N-1)")
  final?: boolean;    // end-of-run invariant
}

export interface ParamSpec {
  name: string;
  type: "int" | "float" | "bool" | "string" | "duration" | "enum" | "json";
  default?: unknown;
  min?: number;
  max?: number;
  enum?: string[];
  doc?: string;
}

export interface ProtocolInfo {
  name: string;
  title: string;
  section: string;       // the seed's section, e.g. "3"
  group: string;         // the seed's section title, for grouping
  summary: string;       // one paragraph
  params: ParamSpec[];
  workload?: string;     // how the protocol reads scenario.workload
  message_types: Kindspec[];
  phases: Kindspec[];
  strategies: Kindspec[];
  invariants: Kindspec[];
  metrics: Kindspec[];
  complexity: string;
  min_nodes: number;
  max_nodes: number;
  connected: boolean;
  default: Scenario;     // a complete scenario that shows the protocol well
}

/** The scenario contract of DESIGN.md (also accepted as a JSON string). */
export interface Scenario {
  protocol: string;
  seed?: number;
  nodes?: number;
  until?: string;                  // "2s"
  topology?: string | { shape?: string; degree?: number; edges?: Array<[number, number] | [number, number, LinkSettings]>; directed?: boolean };
  network?: LinkSettings;
  faults?: Action[];
  params?: Record<string, unknown>;
  workload?: unknown;
  title?: string;
  description?: string;
}

export interface LinkSettings {
  latency?: string;   // "1ms..25ms" or "5ms"
  fifo?: boolean;
  loss?: number;      // probability 0..1
  duplicate?: number; // probability 0..1
  weight?: number;    // edge weight (edges only)
}

/** A fault or user action. Exactly one verb per action. `at` is ignored by inject(). */
export type Action = { at?: string; step?: number } & (
  | { crash: number }
  | { recover: number }
  | { byzantine: number; strategy: string }
  | { partition: number[][] }
  | { heal: true }
  | { cut: [number, number] }
  | { hold: [number, number] }
  | { release: [number, number] | true }
  | { drop: MsgFilter }
  | { delay: MsgFilter & { by: string } }
  | { input: number; data?: string }
);

export interface MsgFilter { id?: number; type?: string; from?: number; to?: number; count?: number }

export type EventKind = "start" | "local" | "send" | "receive" | "drop" | "timer" | "crash" | "recover" | "fault" | "phase" | "decide" | "note";

export interface MsgRef { id: number; from: number; to: number; type: string }

/** One trace event. Same fields as a line of `distlab run --trace`, plus `own`. */
export interface TraceEvent {
  id: number;
  t: number;          // virtual µs
  node: number;       // -1 for faults of the network as a whole
  kind: EventKind;
  lamport: number;
  own: number;        // this process's own vector-clock component
  vc?: number[];      // only from event(i) or events(..., {vc: true})
  msg?: MsgRef;
  phase?: string;
  value?: string;
  fault?: string;
  text: string;
}

export interface EventBatch { events: TraceEvent[]; next: number; total: number }

export interface NodeInfo {
  id: number;
  name: string;        // "P0", or a protocol label such as "C0"
  crashed: boolean;
  strategy: string;    // "" when honest
  text: string;        // the node's one-line String()
  neighbors: number[]; // outgoing channels
}

export interface NodeDetail extends NodeInfo {
  state: unknown;      // the protocol's state as data
  lamport: number;
  vc: number[];
  events: number;      // how many trace events this process has
  timers: { id: number; name: string; at: number }[]; // pending timers, by time (at: virtual µs)
}

export interface InFlightMsg extends MsgRef {
  status: "in-flight" | "held";
  sent: number;        // µs
  due: number;         // µs
  text: string;        // payload String()
}

export interface ChannelInfo { from: number; to: number; state: "up" | "cut" | "held"; held: number }

export interface InvariantResult {
  name: string; ok: boolean; detail: string;
  event: number;       // first event after which it failed, or -1
  final?: boolean; pending?: boolean;
}

/** Identical to `distlab run --json` for the same scenario. */
export interface Summary {
  protocol: string; seed: number; nodes: number; processes: number;
  end: string; end_us: number; done: boolean; events: number;
  messages: { sent: number; delivered: number; dropped: number; in_flight: number; by_type: Record<string, number>;
              by_node: { sent: number; delivered: number; dropped: number }[] };
  invariants: InvariantResult[]; ok: boolean;
  metrics: Record<string, number>;
  output?: unknown;
  error?: string;
  trace_sha256: string;
}

export interface CutVerdict { consistent: boolean; msg: number; send: number; recv: number; detail: string }

export interface Simulation {
  readonly id: number;
  /** The validated scenario with defaults written out (seed, nodes, until, topology,
   *  network latency and fifo, parameters with defaults); loading it again gives the same run. */
  scenario(): Scenario;
  protocol(): ProtocolInfo;

  /** Run to the scenario's `until`. Returns the number of events added. */
  run(): number;
  /** Process steps until at least one event is recorded (or the run is done). Returns events added. */
  step(): number;
  /** Run up to and including virtual time t (µs; fractions dropped, bounded by `until`),
   *  leaving the clock at t. Returns events added. */
  runUntil(t: number): number;
  /** Run until at least k more events are recorded. Returns events added. */
  runEvents(k: number): number;
  now(): number;         // virtual µs
  steps(): number;       // engine steps so far (the unit of seek and of recorded actions)
  done(): boolean;
  nextTime(): number;    // µs of the next queued happening, -1 when none

  /** Events [cursor, cursor+max) as one batch; cheap enough to call every frame.
   *  `max` defaults to 1000 and is capped at 100000 (continue from `next`).
   *  `cursor` may be at most eventCount(): after a seek back, start again from a smaller one. */
  events(cursor: number, max?: number, opts?: { vc?: boolean }): EventBatch;
  event(i: number): TraceEvent; // with vc
  eventCount(): number;

  /** Every process, including any the protocol added beyond the scenario's nodes (clients). */
  nodes(): NodeInfo[];
  node(id: number): NodeDetail;
  inFlight(): InFlightMsg[];
  channels(): ChannelInfo[];

  /** Apply a fault or user action now (recorded; replays reproduce it). Throws on bad input
   *  (nothing is applied then) and when the run has stopped with a protocol error. A protocol
   *  failure while applying the action does not throw: it stops the run and shows in
   *  invariants() and summary().error, as it would during run(). */
  inject(action: Action | string): void;
  /** Every live action of this branch, each with its `step`: those applied so far and, after a seek
   *  back, those still queued to be replayed (a new inject() discards the queued ones: a new branch). */
  liveActions(): Action[];

  /** Time travel: the same handle now shows the run as it was then. Injecting afterwards branches;
   *  playing forward without injecting re-applies the recorded actions. `{event: -1}` is the very
   *  start; a point past the end stops at the end. */
  seek(to: { step: number } | { event: number } | { time: number }): void;

  invariants(): InvariantResult[];
  summary(): Summary;
  /** The protocol's output as it stands (Summary.output, without computing the trace hash). */
  output(): unknown;
  /** The exact text of `distlab run --json` (without the newline): exact even for seeds above 2^53. */
  summaryJSON(): string;

  /** Happens-before between two events (events of the network as a whole, node -1, are
   *  concurrent with everything). */
  relation(a: number, b: number): "before" | "after" | "concurrent" | "same";
  /** Per process: `past[p]` events of p are in e's causal past (a prefix); `future[p]` is the index of p's first event in e's causal future. */
  causal(e: number): { past: number[]; future: number[] };
  /** Event ids of process p, in order. */
  nodeEvents(p: number): number[];
  /** A cut: per process, how many of its events are inside. */
  checkCut(prefix: number[]): CutVerdict;

  exportTrace(): string;     // JSON Lines, identical to `distlab run --trace`
  exportShiViz(): string;    // ShiViz log
  exportScenario(): string;  // the scenario with the branch's live actions (see liveActions) folded in as faults

  /** Free the simulation. Calling dispose again is fine; any other call afterwards throws. */
  dispose(): void;
}

export interface DistLabAPI {
  /** Resolves once the wasm is running. */
  readonly ready: Promise<void>;
  /** The bridge's version ("" before ready). */
  readonly version: string;
  protocols(): ProtocolInfo[];
  protocol(name: string): ProtocolInfo;
  /** Validates (the protocol's params and workload included); returns the normalised scenario
   *  (as Simulation.scenario()), or throws. A seed above 2^53 must be passed in a JSON string. */
  validate(scenario: Scenario | string): Scenario;
  create(scenario: Scenario | string): Simulation;
  /** Engine throughput on a message storm (core.StormProtocol: a complete graph, every process
   *  forwarding tokens to random neighbours), measured inside the page. Defaults: 16 nodes,
   *  200000 events; nodes 2..512, events 1..2000000. Blocks the page while it runs. */
  bench(opts?: { nodes?: number; events?: number }): { nodes: number; events: number; ms: number; events_per_sec: number };
}

declare global {
  interface Window { DistLab: DistLabAPI }
}
