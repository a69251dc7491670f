// A small accessible popup menu: role="menu" with menuitems, arrow keys move,
// Enter/Space activate, Escape closes and gives the focus back to whatever
// opened the menu. One menu is open at a time.

import { h } from "./dom.js";

let current = null;

// The key being held, if any: a menu opened from a keydown (Enter or Space on
// a node, M, Shift+F10) must not let the rest of that key press reach the
// item it focuses. Chromium activates a focused button on the keypress of
// Enter, which comes as a separate event after the keydown: if the menu
// focused its first item in between (a timer that happened to run first on
// a busy machine), that item fired and the menu closed at once.
let keyDown = null; // {key, t}
addEventListener("keydown", (e) => { if (!e.repeat) keyDown = { key: e.key, t: performance.now() }; }, true);
addEventListener("keyup", (e) => { if (keyDown && keyDown.key === e.key) keyDown = null; }, true);
addEventListener("blur", () => { keyDown = null; });

export function closeMenu() {
  if (!current) return;
  const { el, returnFocus, onKey, onDown, release } = current;
  current = null;
  el.remove();
  document.removeEventListener("keydown", onKey, true);
  document.removeEventListener("pointerdown", onDown, true);
  release();
  if (returnFocus && document.contains(returnFocus)) returnFocus.focus({ preventScroll: true });
}

export function menuOpen() {
  return !!current;
}

/**
 * Opens a menu at (x, y) in client coordinates.
 * items: {label, onSelect, disabled?, testid?, sub?} | "-" (separator) | {title} | {element} (custom row)
 */
export function openMenu(x, y, items, { label = "Menu", testid = "menu", returnFocus = document.activeElement } = {}) {
  closeMenu();
  const el = h("div", { class: "menu", role: "menu", "aria-label": label, "data-testid": testid });
  const buttons = [];
  for (const it of items) {
    if (!it) continue;
    if (it === "-") { el.append(h("hr", { role: "separator" })); continue; }
    if (it.title) { el.append(h("div", { class: "menu-title", text: it.title })); continue; }
    if (it.element) { el.append(it.element); continue; }
    const b = h("button", {
      type: "button", role: "menuitem", class: it.sub ? "sub" : "", tabindex: "-1",
      "data-testid": it.testid, "aria-disabled": it.disabled ? "true" : undefined, text: it.label,
    });
    b.addEventListener("click", (e) => {
      e.stopPropagation();
      if (it.disabled) return;
      const keep = it.keepOpen;
      if (!keep) closeMenu();
      it.onSelect?.(e);
    });
    buttons.push(b);
    el.append(b);
  }
  document.body.append(el);
  // Keep it on screen.
  const r = el.getBoundingClientRect();
  const vx = Math.max(4, Math.min(x, innerWidth - r.width - 4));
  const vy = Math.max(4, Math.min(y, innerHeight - r.height - 4));
  el.style.left = vx + "px";
  el.style.top = vy + "px";
  const onKey = (e) => {
    if (!current) return;
    const idx = buttons.indexOf(document.activeElement);
    if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); closeMenu(); }
    else if (e.key === "ArrowDown") { e.preventDefault(); e.stopPropagation(); buttons[(idx + 1) % buttons.length]?.focus(); }
    else if (e.key === "ArrowUp") { e.preventDefault(); e.stopPropagation(); buttons[(idx - 1 + buttons.length) % buttons.length]?.focus(); }
    else if (e.key === "Home") { e.preventDefault(); buttons[0]?.focus(); }
    else if (e.key === "End") { e.preventDefault(); buttons[buttons.length - 1]?.focus(); }
    else if (e.key === "Tab") { closeMenu(); }
    else if (el.contains(document.activeElement) && document.activeElement.tagName === "INPUT") { e.stopPropagation(); }
  };
  const onDown = (e) => { if (!el.contains(e.target)) closeMenu(); };
  // Opened from a key that is still down: swallow the rest of that press
  // (its keypress and keyup), wherever the focus is by then.
  const opener = keyDown && performance.now() - keyDown.t < 2000 ? keyDown.key : null;
  let timer = 0;
  const swallow = (e) => {
    if (e.key !== opener) return;
    e.preventDefault();
    e.stopPropagation();
    if (e.type === "keyup") release();
  };
  const release = () => {
    if (!opener) return;
    document.removeEventListener("keypress", swallow, true);
    document.removeEventListener("keyup", swallow, true);
    clearTimeout(timer);
  };
  if (opener) {
    document.addEventListener("keypress", swallow, true);
    document.addEventListener("keyup", swallow, true);
    timer = setTimeout(release, 2000); // a keyup that never comes (the window lost focus)
  }
  current = { el, returnFocus, onKey, onDown, release };
  document.addEventListener("keydown", onKey, true);
  document.addEventListener("pointerdown", onDown, true);
  // The focus moves to the first item now; the key that opened the menu
  // cannot activate it (see swallow above).
  const first = buttons.find((b) => b.getAttribute("aria-disabled") !== "true") || buttons[0];
  first?.focus({ preventScroll: true });
  return el;
}
