// The sample course page's script (web/course.html): a classic script, so it
// also runs from disk. It points each distlab frame at the sandbox (the
// served page, or the single-file offline page when this page is opened from
// disk), shows the messages each frame posts, and wires a few buttons that
// send the frames commands. Everything from a frame is shown as text.
(function () {
  "use strict";

  var fromDisk = location.protocol === "file:";
  var frames = Array.prototype.slice.call(document.querySelectorAll("iframe.distlab[data-src]"));

  frames.forEach(function (f) {
    var src = f.getAttribute("data-src");
    // From disk, browsers refuse the served page's modules: use the one-file build next to it.
    if (fromDisk) src = src.replace(/^\.\.\/index\.html/, "../distlab-offline.html");
    f.src = src;
  });

  function frameOf(win) {
    for (var i = 0; i < frames.length; i++) if (frames[i].contentWindow === win) return frames[i];
    return null;
  }

  function fmt(us) {
    if (typeof us !== "number" || !isFinite(us)) return "";
    if (us < 1000) return us + "µs";
    if (us < 1e6) return (us / 1000).toFixed(us < 1e4 ? 2 : 1).replace(/\.?0+$/, "") + "ms";
    return (us / 1e6).toFixed(2).replace(/\.?0+$/, "") + "s";
  }

  function describe(d) {
    switch (d.type) {
      case "ready":
        return "ready: " + String(d.title || d.protocol) + " (" + String(d.nodes) + " processes" + (d.locked ? ", locked" : "") + ")";
      case "invariant-broken":
        return "invariant " + String(d.invariant) + " broken at " + fmt(d.t) + (d.detail ? ": " + String(d.detail) : "");
      case "run-ended":
        return "run ended at " + fmt(d.t) + " after " + String(d.events) + " events: " + (d.ok ? "every invariant holds" : "an invariant is broken");
      case "status":
        return "status: " + fmt(d.t) + ", " + String(d.events) + " events" + (d.done ? ", ended" : "");
    }
    return String(d.type);
  }

  window.addEventListener("message", function (ev) {
    var f = frameOf(ev.source);
    var d = ev.data;
    // Only our frames, and only distlab's messages.
    if (!f || !d || typeof d !== "object" || d.source !== "distlab" || typeof d.type !== "string") return;
    var log = document.querySelector('[data-log="' + f.getAttribute("data-testid") + '"]');
    if (!log) return;
    var li = document.createElement("li");
    li.className = "ev-" + d.type.replace(/[^a-z-]/g, "");
    li.setAttribute("data-type", d.type);
    li.textContent = describe(d);
    log.appendChild(li);
    while (log.children.length > 30) log.removeChild(log.firstChild);
  });

  Array.prototype.forEach.call(document.querySelectorAll("button[data-target][data-command]"), function (b) {
    b.addEventListener("click", function () {
      var f = document.querySelector('iframe[data-testid="' + b.getAttribute("data-target") + '"]');
      if (f && f.contentWindow) f.contentWindow.postMessage({ target: "distlab", command: b.getAttribute("data-command") }, "*");
    });
  });
})();
