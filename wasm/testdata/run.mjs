// run.mjs drives the wasm bridge under Node through web/boot.js, for the Go
// tests in internal/wasmtest and for the benchmarks.
//
//   node run.mjs --boot web/boot.js --exec $(go env GOROOT)/lib/wasm/wasm_exec.js --wasm main.wasm MODE
//
// MODE is one of
//   steps        read {"steps": [...]} on stdin, run each against DistLab, report every result
//   boot-errors  check that DistLab fails readably before ready and without a usable wasm
//   bench        time DistLab.bench and the two ways of moving event batches (JSON vs objects)
// The report is one line on stdout: "DISTLAB-RESULT " + JSON.

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const opts = { mode: "" };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a.startsWith("--")) opts[a.slice(2)] = process.argv[++i];
  else opts.mode = a;
}
for (const k of ["boot", "exec", "wasm"]) {
  if (!opts[k]) {
    console.error(`run.mjs: missing --${k}`);
    process.exit(2);
  }
}

createRequire(import.meta.url)(resolve(opts.exec)); // defines globalThis.Go
// boot.js is an ES module in a directory without package.json: import its text
// as a data: URL (always a module in Node).
const bootSrc = readFileSync(resolve(opts.boot)).toString("base64");
const { createDistLab } = await import("data:text/javascript;base64," + bootSrc);

function report(x) {
  process.stdout.write("DISTLAB-RESULT " + JSON.stringify(x) + "\n");
}

function outcome(f) {
  try {
    const v = f();
    return { ok: v === undefined ? null : v };
  } catch (e) {
    return { threw: true, isError: e instanceof Error, message: e instanceof Error ? e.message : String(e) };
  }
}

async function steps() {
  const input = JSON.parse(readFileSync(0, "utf8"));
  const DistLab = createDistLab(() => readFileSync(resolve(opts.wasm)));
  await DistLab.ready;
  const sims = {};
  const out = [];
  for (const st of input.steps) {
    const args = st.args || [];
    let r;
    switch (st.do) {
      case "api":
        r = outcome(() => DistLab[st.fn](...args));
        break;
      case "create":
        r = outcome(() => {
          const sim = DistLab.create(...args);
          sims[st.as] = sim;
          return sim.id;
        });
        break;
      case "sim":
        r = outcome(() => sims[st.sim][st.fn](...args));
        break;
      case "raw": // straight to the Go functions, handle first when st.sim is set
        r = outcome(() => {
          const a = st.sim ? [sims[st.sim].id, ...args] : args;
          const v = globalThis.__distlabGo[st.fn](...a);
          if (v instanceof Error) throw v;
          return v;
        });
        break;
      case "version":
        r = { ok: DistLab.version };
        break;
      default:
        r = { threw: true, isError: false, message: "run.mjs: unknown step " + st.do };
    }
    if (st.stringify && r.ok !== undefined) r.ok = JSON.stringify(r.ok);
    out.push(r);
  }
  report(out);
}

async function bootErrors() {
  const res = {};
  const early = createDistLab(() => readFileSync(resolve(opts.wasm)));
  res.beforeReady = outcome(() => early.protocols());
  await early.ready;
  res.afterReady = outcome(() => early.protocols().length > 0);
  const missing = createDistLab(() => readFileSync("/nonexistent/main.wasm"));
  res.missing = await missing.ready.then(
    () => ({ ok: "resolved" }),
    (e) => ({ threw: true, isError: e instanceof Error, message: e.message })
  );
  res.afterMissing = outcome(() => missing.protocols());
  const garbage = createDistLab(() => new Uint8Array([1, 2, 3, 4]));
  res.garbage = await garbage.ready.then(
    () => ({ ok: "resolved" }),
    (e) => ({ threw: true, isError: e instanceof Error, message: e.message })
  );
  report(res);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// A script scenario with thousands of events of every common kind (timer,
// send, receive) and real message texts.
function bigScript(sends) {
  const events = [];
  for (let i = 0; i < sends; i++) {
    const node = i % 16;
    events.push({ at: `${100 + i * 50}us`, node, do: "send", to: (node + 1 + (i % 15)) % 16, label: `m${i}` });
  }
  return { protocol: "script", nodes: 16, until: "10s", network: { latency: "1ms..5ms" }, workload: { events } };
}

async function bench() {
  const DistLab = createDistLab(() => readFileSync(resolve(opts.wasm)));
  await DistLab.ready;
  const nodes = Number(opts.nodes || 16);
  const events = Number(opts.events || 200000);
  const reps = Number(opts.reps || 3);
  const storm = [];
  DistLab.bench({ nodes, events: Math.min(events, 20000) }); // warm up
  for (let i = 0; i < reps; i++) storm.push(DistLab.bench({ nodes, events }));

  const sim = DistLab.create(bigScript(Number(opts.sends || 4000)));
  sim.run();
  const n = sim.eventCount();
  const go = globalThis.__distlabGo;
  const ways = {
    json: (vc) => sim.events(0, n, { vc }),
    objects: (vc) => go.sim._eventsObjects(sim.id, 0, n, { vc }),
    // The JSON way without JSON.parse: what the Go side and the string
    // crossing cost on their own.
    json_text_only: (vc) => ({ events: [{ id: 1, text: go.sim.events(sim.id, 0, n, { vc }) }] }),
  };
  const bridge = { events: n };
  for (const vc of [false, true]) {
    for (const [name, f] of Object.entries(ways)) {
      let check = 0;
      check += f(vc).events.length; // warm up
      const times = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const b = f(vc);
        // Touch every event, as a consumer would.
        for (const e of b.events) check += e.id + e.text.length;
        times.push(performance.now() - t0);
      }
      if (check <= 0) throw new Error("no events");
      bridge[name + (vc ? "_vc" : "")] = { ms: median(times), us_per_event: (median(times) * 1000) / n };
    }
  }
  report({ node: process.version, storm, bridge });
}

const modes = { steps, "boot-errors": bootErrors, bench };
if (!modes[opts.mode]) {
  console.error(`run.mjs: unknown mode "${opts.mode}" (steps, boot-errors, bench)`);
  process.exit(2);
}
await modes[opts.mode]();
