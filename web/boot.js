// boot.js — starts distlab's engine (Go compiled to WebAssembly) and defines
// the page's API, window.DistLab (see distlab.d.ts).
//
// Importing this module defines window.DistLab at once, with DistLab.ready (a
// Promise). The wasm bytes come from an element
//   <script id="distlab-wasm" type="application/octet-stream" data-encoding="gzip-base64">…</script>
// (the single-file offline page) or else from fetch("main.wasm") relative to
// the page. wasm_exec.js (a classic script, loaded before this module) defines
// the global Go class that runs it. Once the Go program has registered its
// functions (on globalThis.__distlabGo), `ready` resolves; if anything fails,
// `ready` rejects with an Error that says what.
//
// Every API call goes through call(): the Go side returns a JS Error value for
// bad input or a recovered panic, and call() throws it. Structured results
// cross as JSON text (faster than building objects from Go; see wasm/BRIDGE.md).
//
// Node (tests, benchmarks) uses createDistLab(load) directly, with
// wasm_exec.js loaded first; see wasm/testdata/run.mjs.

const G = globalThis;

// How each Simulation method's result comes back from Go: "json" results are
// JSON text to parse, "value" results are plain numbers, strings or booleans.
const SIM_METHODS = {
  scenario: "json",
  protocol: "json",
  run: "value",
  step: "value",
  runUntil: "value",
  runEvents: "value",
  now: "value",
  steps: "value",
  done: "value",
  nextTime: "value",
  events: "json",
  event: "json",
  eventCount: "value",
  nodes: "json",
  node: "json",
  inFlight: "json",
  channels: "json",
  inject: "value",
  liveActions: "json",
  seek: "value",
  invariants: "json",
  summary: "json",
  output: "json",
  relation: "value",
  causal: "json",
  nodeEvents: "json",
  checkCut: "json",
  exportTrace: "value",
  exportShiViz: "value",
  exportScenario: "value",
  dispose: "value",
};

/**
 * createDistLab returns a DistLab API object whose `ready` resolves once the
 * engine runs. `load` returns (a promise of) the wasm bytes (ArrayBuffer,
 * typed array) or a compiled WebAssembly.Module.
 */
export function createDistLab(load) {
  let go = null; // globalThis.__distlabGo once registered
  let runner = null; // the wasm_exec.js Go instance
  let failure = null; // why ready rejected

  function engine() {
    if (go && !runner.exited) return go;
    if (go) throw new Error("DistLab: the engine has stopped; reload the page");
    if (failure) throw new Error("DistLab could not start: " + failure.message);
    throw new Error("DistLab is not ready yet: await DistLab.ready first");
  }

  function check(r) {
    if (r instanceof Error) throw new Error(r.message);
    return r;
  }

  function simCall(name, kind, id, args) {
    const r = check(engine().sim[name](id, ...args));
    return kind === "json" ? JSON.parse(r) : r;
  }

  class Simulation {
    constructor(id) {
      Object.defineProperty(this, "id", { value: id, enumerable: true });
    }
    /** The exact text of `distlab run --json` (without its newline): exact even for seeds above 2^53. */
    summaryJSON() {
      return simCall("summary", "value", this.id, []);
    }
  }
  for (const [name, kind] of Object.entries(SIM_METHODS)) {
    Object.defineProperty(Simulation.prototype, name, {
      value: function (...args) {
        return simCall(name, kind, this.id, args);
      },
      writable: true,
      configurable: true,
    });
  }

  const api = {
    ready: null,
    get version() {
      return go ? go.version : "";
    },
    protocols() {
      return JSON.parse(check(engine().protocols()));
    },
    protocol(name) {
      return JSON.parse(check(engine().protocol(name)));
    },
    validate(scenario) {
      return JSON.parse(check(engine().validate(scenario)));
    },
    create(scenario) {
      return new Simulation(check(engine().create(scenario)));
    },
    bench(opts) {
      return JSON.parse(check(engine().bench(opts)));
    },
  };

  api.ready = (async () => {
    try {
      if (typeof G.Go !== "function") {
        throw new Error(
          "wasm_exec.js is not loaded: the page must load it (a classic <script>) before web/boot.js"
        );
      }
      if (typeof WebAssembly !== "object") {
        throw new Error("this browser has no WebAssembly");
      }
      const source = await load();
      runner = new G.Go();
      let instance;
      try {
        const r = await WebAssembly.instantiate(source, runner.importObject);
        instance = r instanceof WebAssembly.Instance ? r : r.instance;
      } catch (e) {
        throw new Error("the engine's WebAssembly could not be started: " + e.message);
      }
      let stopped = null;
      const registered = new Promise((resolve) => {
        G.__distlabGoReady = resolve;
      });
      const exited = new Promise((_, reject) => {
        stopped = reject;
      });
      runner.run(instance).then(
        () => stopped(new Error("the engine exited before it registered its functions")),
        (e) => stopped(e)
      );
      go = await Promise.race([registered, exited]);
    } catch (e) {
      failure = e instanceof Error ? e : new Error(String(e));
      throw new Error("DistLab could not start: " + failure.message);
    } finally {
      delete G.__distlabGoReady;
    }
  })();
  return api;
}

// loadFromPage finds the wasm: the embedded element of the offline page, or
// main.wasm next to the page.
async function loadFromPage() {
  if (document.readyState === "loading") {
    await new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }));
  }
  const el = document.getElementById("distlab-wasm");
  if (el) return decodeEmbedded(el);
  let res;
  try {
    res = await fetch("main.wasm");
  } catch (e) {
    throw new Error(
      "main.wasm could not be fetched (" + e.message + "); serve the page (distlab serve) or open distlab-offline.html"
    );
  }
  if (!res.ok) throw new Error("main.wasm could not be loaded: HTTP " + res.status + " " + res.statusText);
  const type = res.headers.get("Content-Type") || "";
  if (WebAssembly.compileStreaming && type.startsWith("application/wasm")) {
    return WebAssembly.compileStreaming(res);
  }
  return res.arrayBuffer();
}

async function decodeEmbedded(el) {
  const encoding = el.dataset.encoding || "base64";
  const text = el.textContent.replace(/\s+/g, "");
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  if (encoding === "base64") return bytes;
  if (encoding !== "gzip-base64") {
    throw new Error('#distlab-wasm: unknown data-encoding "' + encoding + '" (expected "gzip-base64" or "base64")');
  }
  if (typeof DecompressionStream !== "function") {
    throw new Error("this browser has no DecompressionStream, needed to unpack the embedded engine");
  }
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).arrayBuffer();
}

if (typeof window !== "undefined" && typeof document !== "undefined" && !window.DistLab) {
  window.DistLab = createDistLab(loadFromPage);
}

export default typeof window !== "undefined" ? window.DistLab : undefined;
