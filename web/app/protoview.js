// The panel beside the space-time diagram that hosts a protocol's own view
// (web/views/). It mounts the view of the current protocol on every new run,
// calls its update() each frame the run moved, and stays hidden when the
// protocol has none.

import { h, clear, errorMessage } from "./dom.js";
import { viewFor } from "../views/index.js";

export class ProtocolViewPanel {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.view = null;
    this.lastVersion = -1;
  }

  reset() {
    this.unmount();
    const info = this.app.runner.info;
    const factory = info ? viewFor(info.name) : null;
    this.root.hidden = !factory;
    if (!factory) return;
    clear(this.root);
    const body = h("div", { class: "protocol-view-body" });
    this.root.append(h("h2", { text: info.title }), body);
    try {
      this.view = factory({ runner: this.app.runner, selection: this.app.selection, app: this.app });
      this.view.mount?.(body);
    } catch (e) {
      this.view = null;
      this.app.notify.error(`the ${info.name} view failed to start: ${errorMessage(e)}`);
    }
    this.lastVersion = -1;
  }

  frame() {
    if (!this.view) return;
    const r = this.app.runner;
    if (r.version === this.lastVersion) return;
    this.lastVersion = r.version;
    try {
      this.view.update?.();
    } catch (e) {
      this.app.notify.error(`the ${r.info.name} view failed: ${errorMessage(e)}`);
      this.unmount();
      this.root.hidden = true;
    }
  }

  unmount() {
    if (!this.view) return;
    try { this.view.unmount?.(); } catch { /* ignore */ }
    this.view = null;
    clear(this.root);
  }
}
