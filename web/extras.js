// What the page adds around the sandbox once its first run is in place:
// exports and "Load scenario" (web/export.js), share links (web/share.js),
// and embed mode with its messages to a parent frame (web/embed.js). The
// entry point (web/main.js) calls startExtras(app) after app.start(); it
// resolves once a shared link (the URL fragment) or a protocol named in the
// query string has been loaded, or refused with a readable message.

import { openMenu } from "./app/menu.js";
import { embedOptions, installEmbed } from "./embed.js";
import { installShare, restoreFromFragment, showLinkError } from "./share.js";
import { installExport } from "./export.js";
import { errorMessage } from "./app/dom.js";

export function startExtras(app) {
  if (window.distlabExtras) return window.distlabExtras.done;
  const done = start(app);
  window.distlabExtras = { done };
  return done;
}

async function start(app) {
  const opts = embedOptions(location.search);
  installExport(app, { openMenu, locked: opts.locked });
  installShare(app, { button: !opts.embed });
  const embed = installEmbed(app, opts);
  let restored = false;
  if (location.hash && location.hash !== "#") {
    restored = await restoreFromFragment(app);
  }
  if (!restored && opts.protocol && !(location.hash && location.hash !== "#")) {
    try {
      const info = app.api.protocol(opts.protocol);
      await app.applyScenario(JSON.parse(JSON.stringify(info.default)), { reason: "protocol", replaceLive: true });
    } catch (e) {
      showLinkError(app, `the address asks for protocol "${opts.protocol}": ${errorMessage(e)}`);
    }
  }
  embed.ready();
  return { embed: opts.embed, restored };
}
