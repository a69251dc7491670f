// Protocol-specific views, keyed by registry name. A view is an object
// factory: registerView("snapshot", (ctx) => ({ mount(el), update(), unmount() }))
// where ctx gives the runner (sim, cache, palette, info), the selection and
// the app. The page shows the panel beside the space-time diagram whenever the
// current protocol has a view, and hides it otherwise. Views are plain ES
// modules imported below (static imports: the offline page is one bundle).
//
// None is registered yet: this is the place the next issue fills in.

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
