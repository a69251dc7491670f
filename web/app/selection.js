// What the user has selected, shared by every view so that they stay in sync:
// a node (topology, inspector, diagram row), up to two events (the diagram's
// "a" and "b"), and a cut (one count per process).

import { Emitter } from "./dom.js";

export class Selection extends Emitter {
  constructor() {
    super();
    this.node = -1;
    this.a = -1;
    this.b = -1;
    /** @type {number[]|null} per process, how many of its events are inside the cut */
    this.cut = null;
    this.cutMode = false;
  }
  setNode(id) {
    if (this.node === id) return;
    this.node = id;
    this.emit("node", id);
  }
  setEvents(a, b = -1) {
    this.a = a;
    this.b = b;
    this.emit("events");
  }
  /** Selects e: as "a" when nothing (or both) is selected, as "b" otherwise. */
  pick(e, asB = false) {
    if (asB && this.a >= 0 && e !== this.a) this.setEvents(this.a, e);
    else if (this.a < 0 || this.b >= 0 || e === this.a) this.setEvents(e, -1);
    else this.setEvents(this.a, e);
  }
  setCut(prefix) {
    this.cut = prefix;
    this.emit("cut");
  }
  setCutMode(on) {
    this.cutMode = on;
    this.emit("cutmode", on);
  }
  /** Forgets events beyond the trace's end (after a seek backwards). */
  trim(count) {
    let changed = false;
    if (this.b >= count) { this.b = -1; changed = true; }
    if (this.a >= count) { this.a = this.b; this.b = -1; changed = true; }
    if (changed) this.emit("events");
  }
  clearAll() {
    this.a = this.b = -1;
    this.cut = null;
    this.emit("events");
    this.emit("cut");
  }
}
