// An incremental copy of the trace, fed every frame by sim.events(cursor, max).
// It always holds a prefix of the current run's trace: the engine is
// deterministic, so after a seek backwards the cache is only truncated, and
// after running forward it is only extended. Views read it instead of calling
// into the wasm for every event they draw.

export class EventCache {
  constructor(nproc) {
    this.n = nproc;
    /** @type {object[]} TraceEvents in id order, each with .k (index on its process) and .nudge */
    this.events = [];
    /** event ids per process */
    this.byNode = Array.from({ length: nproc }, () => []);
    /** ids of phase events per process */
    this.phases = Array.from({ length: nproc }, () => []);
    /** message id -> {id, from, to, type, send, end, endKind} (send/end are event ids or -1) */
    this.msgs = new Map();
    /** messages in the order they were sent (so by send time) */
    this.msgList = [];
    this.sentByType = new Map();
    this.sent = 0;
    this.delivered = 0;
    this.dropped = 0;
    this.maxLatency = 0;
    this.version = 0;
  }

  get length() { return this.events.length; }
  get lastTime() { return this.events.length ? this.events[this.events.length - 1].t : 0; }

  /** Pulls new events from the simulation, within a time budget (ms). Returns how many were added. */
  pull(sim, budgetMs = 6, batch = 4000) {
    const t0 = performance.now();
    let added = 0;
    for (;;) {
      const b = sim.events(this.events.length, batch);
      for (const e of b.events) this.add(e);
      added += b.events.length;
      if (b.next >= b.total || b.events.length === 0) break;
      if (performance.now() - t0 > budgetMs) break;
    }
    if (added) this.version++;
    return added;
  }

  add(e) {
    if (e.id !== this.events.length) throw new Error(`event cache out of step: got event ${e.id}, expected ${this.events.length}`);
    const p = e.node;
    e.nudge = 0;
    if (p >= 0 && p < this.n) {
      const list = this.byNode[p];
      if (list.length) {
        const prev = this.events[list[list.length - 1]];
        if (prev.t === e.t) e.nudge = prev.nudge + 1;
      }
      e.k = list.length;
      list.push(e.id);
      if (e.kind === "phase") this.phases[p].push(e.id);
    } else {
      e.k = -1;
    }
    this.events.push(e);
    const m = e.msg;
    if (!m) return;
    if (e.kind === "send") {
      const rec = { id: m.id, from: m.from, to: m.to, type: m.type, send: e.id, end: -1, endKind: "" };
      this.msgs.set(m.id, rec);
      this.msgList.push(rec);
      this.sent++;
      this.sentByType.set(m.type, (this.sentByType.get(m.type) || 0) + 1);
    } else if (e.kind === "receive" || e.kind === "drop") {
      let rec = this.msgs.get(m.id);
      if (!rec) {
        // A duplicate shares its original's send event; it has no send of its own.
        rec = { id: m.id, from: m.from, to: m.to, type: m.type, send: -1, end: -1, endKind: "" };
        this.msgs.set(m.id, rec);
      }
      rec.end = e.id;
      rec.endKind = e.kind;
      if (e.kind === "receive") this.delivered++; else this.dropped++;
      if (rec.send >= 0) this.maxLatency = Math.max(this.maxLatency, e.t - this.events[rec.send].t);
    }
  }

  /** Forgets every event with id >= n (after a seek backwards). */
  truncate(n) {
    if (n >= this.events.length) return;
    while (this.events.length > n) {
      const e = this.events.pop();
      if (e.node >= 0 && e.node < this.n) {
        this.byNode[e.node].pop();
        if (e.kind === "phase") this.phases[e.node].pop();
      }
      const m = e.msg;
      if (!m) continue;
      const rec = this.msgs.get(m.id);
      if (e.kind === "send") {
        this.msgs.delete(m.id);
        this.msgList.pop();
        this.sent--;
        this.sentByType.set(m.type, this.sentByType.get(m.type) - 1);
      } else if (rec && (e.kind === "receive" || e.kind === "drop")) {
        if (e.kind === "receive") this.delivered--; else this.dropped--;
        if (rec.send < 0) this.msgs.delete(m.id);
        else { rec.end = -1; rec.endKind = ""; }
      }
    }
    this.version++;
  }

  /** Index in byNode[p] of the first event with time >= t (binary search). */
  firstAtOrAfter(p, t) {
    const list = this.byNode[p];
    let lo = 0, hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.events[list[mid]].t < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** Index in msgList of the first message sent at or after t. */
  firstMsgSentAtOrAfter(t) {
    const L = this.msgList;
    let lo = 0, hi = L.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.events[L[mid].send].t < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** The phase a process is in after its k first events ("" if none). */
  phaseAt(p, k) {
    const ph = this.phases[p];
    let name = "";
    for (let i = ph.length - 1; i >= 0; i--) {
      const e = this.events[ph[i]];
      if (e.k < k) { name = e.phase || ""; break; }
    }
    return name;
  }

  /** The latest phase of process p. */
  lastPhase(p) {
    const ph = this.phases[p];
    return ph.length ? this.events[ph[ph.length - 1]].phase || "" : "";
  }
}
