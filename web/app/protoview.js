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
    this.app.workspace?.classList.toggle("has-view", !!factory);
    if (!factory) return;
    clear(this.root);
    const body = h("div", { class: "protocol-view-body" });
    // The protocol's title is in the top bar and the settings already: one line here.
    this.root.append(h("div", { class: "panel-head" }, h("h2", { text: info.title, title: info.title })), body);
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
    // A view shows the run's state, which changes with events (or a seek,
    // step, injected action), not with every frame of virtual time.
    const key = `${r.stateVersion}:${r.cache?.length}:${!!(r.playing || r.task)}`;
    if (key === this.lastVersion) return;
    this.lastVersion = key;
    try {
      this.view.update?.();
    } catch (e) {
      this.app.notify.error(`the ${r.info.name} view failed: ${errorMessage(e)}`);
      this.unmount();
      this.root.hidden = true;
      this.app.workspace?.classList.remove("has-view");
    }
  }

  unmount() {
    if (!this.view) return;
    try { this.view.unmount?.(); } catch { /* ignore */ }
    this.view = null;
    clear(this.root);
  }
}
