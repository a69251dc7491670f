// The runner owns the current simulation and the animation loop. Work is cut
// into slices that fit an animation frame (a budget in milliseconds), so that
// a long run never freezes the tab: playing advances virtual time at the
// chosen speed as far as the budget allows, and "run to end" or a forward
// scrub proceeds over many frames with a progress bar.
//
// Every call into the engine goes through guard(): an engine error (bad
// input, a recovered Go panic) becomes an "error" event that the page shows,
// and the simulation stays at its previous state.

import { EventCache } from "./eventcache.js";
import { Palette } from "./palette.js";
import { Emitter, errorMessage } from "./dom.js";

const FRAME_BUDGET_MS = 9;

export class Runner extends Emitter {
  constructor() {
    super();
    this.sim = null;
    this.info = null;
    this.cache = null;
    this.palette = null;
    this.nproc = 0;
    this.playing = false;
    /** virtual µs per wall-clock second */
    this.speed = 10000;
    /** furthest virtual time reached in this branch (the scrubber's right end) */
    this.horizon = 0;
    this.version = 0;
    /**
     * Bumped only when the run's state may have changed: new events, or a
     * step, seek, injected action or new run. Playing moves virtual time
     * (version) every frame even when no event happens; views that show
     * state rather than time (nodes, in-flight list, inspector, checks,
     * protocol views) key on this and skip the frames in between.
     */
    this.stateVersion = 0;
    this._stateEvents = -1;
    this.lagging = false;
    this.task = null; // {kind: "run-to", target, label} for long forward runs
    this._last = 0;
    this._evRate = 0; // events per virtual µs (EMA), for sizing slices
    this._throughput = 20; // events per ms of wall time the engine manages (EMA)
    this.perf = new FramePerf();
    this._frame = this._frame.bind(this);
    requestAnimationFrame(this._frame);
  }

  /** Calls fn, turning a thrown error into an "error" event. Returns fn's value or undefined. */
  guard(what, fn) {
    try {
      return fn();
    } catch (e) {
      this.emit("error", what ? `${what}: ${errorMessage(e)}` : errorMessage(e));
      return undefined;
    }
  }

  /** Installs a freshly created simulation (the caller already created it; errors stay with the caller). */
  setSim(sim) {
    const old = this.sim;
    this.pause();
    this.task = null;
    this.sim = sim;
    this.info = sim.protocol();
    this.palette = new Palette(this.info);
    this.nproc = sim.nodes().length;
    this.cache = new EventCache(this.nproc);
    this.horizon = 0;
    this._evRate = 0;
    this.cache.pull(sim, 50);
    this.version++;
    this.stateVersion++;
    this._stateEvents = -1;
    if (old) {
      try { old.dispose(); } catch { /* already gone */ }
    }
    this.emit("reset");
    this.emit("change", "reset");
  }

  now() { return this.sim ? this.sim.now() : 0; }

  /** The live actions of this run (applied or queued for replay). */
  liveActions() {
    if (!this.sim) return [];
    return this.guard("live actions", () => this.sim.liveActions()) || [];
  }

  liveCount() { return this.liveActions().length; }

  _changed(reason) {
    this.horizon = Math.max(this.horizon, this.sim.now());
    this.version++;
    const events = this.sim.eventCount();
    if ((reason !== "play" && reason !== "run") || events !== this._stateEvents) {
      this._stateEvents = events;
      this.stateVersion++;
    }
    this.emit("change", reason);
  }

  /** Brings the cache in line with the simulation after it moved. */
  _sync(budget = 6) {
    const count = this.sim.eventCount();
    if (count < this.cache.length) this.cache.truncate(count);
    if (this.cache.length < count) this.cache.pull(this.sim, budget);
  }

  play() {
    if (!this.sim || this.playing) return;
    if (this.sim.done()) {
      this.emit("info", "The run has ended. Scrub back, reset, or change a setting to run again.");
      return;
    }
    this.task = null;
    this.playing = true;
    this._last = 0;
    this.emit("play", true);
  }

  pause() {
    if (!this.playing && !this.task) return;
    this.playing = false;
    this.task = null;
    this.lagging = false;
    this.emit("play", false);
    this.emit("progress", null);
  }

  toggle() { this.playing || this.task ? this.pause() : this.play(); }

  step() {
    if (!this.sim) return;
    this.pause();
    if (this.sim.done()) {
      this.emit("info", "The run has ended: nothing left to step.");
      return;
    }
    this.guard("step", () => {
      this.sim.step();
      this._sync(50);
      this._changed("step");
    });
  }

  /** Goes back to just before the last recorded step that added events. */
  stepBack() {
    if (!this.sim) return;
    this.pause();
    const before = this.sim.eventCount();
    let steps = this.sim.steps();
    if (steps <= 0) return;
    this.guard("step back", () => {
      for (let i = 0; i < 64 && steps > 0; i++) {
        steps--;
        this.sim.seek({ step: steps });
        if (this.sim.eventCount() < before) break;
      }
      this._sync(50);
      this._changed("seek");
    });
  }

  /** Seeks to virtual time t (µs): backwards by replay, forwards by running in slices. */
  seekTime(t) {
    if (!this.sim) return;
    const now = this.sim.now();
    this.playing = false;
    this.emit("play", false);
    if (t < now) {
      this.task = null;
      this.guard("seek", () => {
        this.sim.seek({ time: Math.max(0, Math.round(t)) });
        this._sync(50);
        this._changed("seek");
      });
    } else if (t > now) {
      this.task = { kind: "run-to", target: t, label: "Running forward" };
    }
  }

  /** Goes back to the start, keeping the live actions queued (they replay). */
  rewind() {
    if (!this.sim) return;
    this.pause();
    this.guard("rewind", () => {
      this.sim.seek({ step: 0 });
      this._sync(50);
      this._changed("seek");
    });
  }

  /** Runs to the scenario's end over as many frames as it takes, showing progress. */
  runToEnd() {
    if (!this.sim) return;
    this.playing = false;
    if (this.sim.done()) {
      this.emit("info", "The run has already ended.");
      return;
    }
    this.task = { kind: "run-to", target: Infinity, label: "Running to the end" };
    this.emit("play", true);
  }

  inject(action) {
    if (!this.sim) return false;
    return this.guard("", () => {
      this.sim.inject(action);
      this.horizon = this.sim.now();
      this._sync(50);
      this._changed("inject");
      return true;
    }) === true;
  }

  /** The scenario's end in µs (its `until`). */
  until() {
    return this._until ?? 0;
  }

  setUntil(us) { this._until = us; }

  _frame(ts) {
    requestAnimationFrame(this._frame);
    this.perf.frame(ts);
    if (!this.sim) return;
    const t0 = performance.now();
    try {
      if (this.playing) this._advancePlay(ts, t0);
      else if (this.task) this._advanceTask(t0);
      else if (this.cache.length < this.sim.eventCount()) this._sync(FRAME_BUDGET_MS);
    } catch (e) {
      this.pause();
      this.emit("error", errorMessage(e));
    }
    this.emit("frame", ts);
    this.perf.work(performance.now() - t0);
  }

  _advancePlay(ts, t0) {
    const dt = this._last ? Math.min(ts - this._last, 100) : 16;
    this._last = ts;
    const sim = this.sim;
    const target = sim.now() + (dt / 1000) * this.speed;
    const reached = this._runToward(target, t0);
    this.lagging = !reached;
    this._sync(3);
    this._changed("play");
    if (sim.done()) {
      this.playing = false;
      this.lagging = false;
      this.emit("play", false);
      this.emit("ended");
    }
  }

  _advanceTask(t0) {
    const sim = this.sim;
    const task = this.task;
    const until = this.until();
    const target = Math.min(task.target, until || Infinity);
    if (target === Infinity) {
      // No known end time: run by events.
      const k = Math.max(50, Math.round(this._throughput * FRAME_BUDGET_MS));
      const before = performance.now();
      const added = sim.runEvents(k);
      this._noteThroughput(added, performance.now() - before);
    } else {
      this._runToward(target, t0);
    }
    this._sync(3);
    this._changed("run");
    const done = sim.done() || sim.now() >= target;
    const denom = target === Infinity ? 1 : target;
    this.emit("progress", done ? null : { label: task.label, fraction: Math.min(1, sim.now() / denom), now: sim.now() });
    if (done) {
      this.task = null;
      this.emit("play", false);
      if (sim.done()) this.emit("ended");
    }
  }

  /** Runs toward virtual time target within the frame budget. Returns true if it got there. */
  _runToward(target, t0) {
    const sim = this.sim;
    const deadline = t0 + FRAME_BUDGET_MS;
    while (!sim.done()) {
      const now = sim.now();
      if (now >= target) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      const affordable = Math.max(20, this._throughput * left);
      let to = target;
      if (this._evRate > 0) to = Math.min(target, now + Math.max(1, affordable / this._evRate));
      const before = performance.now();
      const added = sim.runUntil(Math.ceil(to));
      const took = performance.now() - before;
      this._noteThroughput(added, took);
      const span = Math.max(1, sim.now() - now);
      const rate = added / span;
      this._evRate = this._evRate ? 0.7 * this._evRate + 0.3 * rate : rate;
      if (sim.now() <= now && added === 0) {
        // The clock did not move (the run has nothing before `to`): stop here.
        return sim.now() >= target;
      }
    }
    return true;
  }

  _noteThroughput(added, ms) {
    if (added < 20 || ms < 0.5) return;
    const r = added / ms;
    this._throughput = 0.8 * this._throughput + 0.2 * r;
  }
}

/** Frame timing from requestAnimationFrame timestamps, for the performance notes and the tests. */
class FramePerf {
  constructor() {
    this.recording = false;
    this.deltas = [];
    this.works = [];
    this._prev = 0;
  }
  start() { this.recording = true; this.deltas = []; this.works = []; this._prev = 0; }
  stop() {
    this.recording = false;
    const d = this.deltas.slice().sort((a, b) => a - b);
    const w = this.works.slice().sort((a, b) => a - b);
    const q = (arr, p) => (arr.length ? arr[Math.min(arr.length - 1, Math.floor(p * arr.length))] : 0);
    const sum = d.reduce((a, b) => a + b, 0);
    return {
      frames: d.length,
      fps: d.length ? (1000 * d.length) / sum : 0,
      mean_ms: d.length ? sum / d.length : 0,
      p50_ms: q(d, 0.5), p95_ms: q(d, 0.95), max_ms: d.length ? d[d.length - 1] : 0,
      over50: d.filter((x) => x > 50).length,
      work_p50_ms: q(w, 0.5), work_p95_ms: q(w, 0.95), work_max_ms: w.length ? w[w.length - 1] : 0,
    };
  }
  frame(ts) {
    if (!this.recording) return;
    if (this._prev) this.deltas.push(ts - this._prev);
    this._prev = ts;
  }
  work(ms) { if (this.recording) this.works.push(ms); }
}
