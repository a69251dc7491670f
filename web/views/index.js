// Protocol-specific views, keyed by registry name. A view is an object
// factory: registerView("snapshot", (ctx) => ({ mount(el), update(), unmount() }))
// where ctx gives the runner (sim, cache, palette, info), the selection and
// the app. The page shows the panel beside the space-time diagram whenever the
// current protocol has a view, and hides it otherwise (a protocol without a
// view keeps the generic panels: inspector, checks, diagram). Views are plain
// ES modules imported below (static imports: the offline page is one bundle);
// adding one is its module plus one line here. web/views/common.js has what
// they share (rate-limited rendering, reading the protocol's output).

import { omView } from "./om.js";
import { pbftView } from "./pbft.js";
import { snapshotView } from "./snapshot.js";
import { deadlockView } from "./deadlock.js";

const registry = new Map();

/** Registers the view for protocol `name`. */
export function registerView(name, factory) {
  if (registry.has(name)) throw new Error(`a view for ${name} is already registered`);
  registry.set(name, factory);
}

/** The view factory for protocol `name`, or null. */
export function viewFor(name) {
  return registry.get(name) || null;
}

export function registeredViews() {
  return [...registry.keys()];
}

registerView("om", omView);
registerView("pbft", pbftView);
registerView("snapshot", snapshotView);
registerView("deadlock-cmh", deadlockView);
registerView("deadlock-central", deadlockView);
