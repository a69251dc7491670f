// A small accessible popup menu: role="menu" with menuitems, arrow keys move,
// Enter/Space activate, Escape closes and gives the focus back to whatever
// opened the menu. One menu is open at a time.

import { h } from "./dom.js";

let current = null;

export function closeMenu() {
  if (!current) return;
  const { el, returnFocus, onKey, onDown } = current;
  current = null;
  el.remove();
  document.removeEventListener("keydown", onKey, true);
  document.removeEventListener("pointerdown", onDown, true);
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
  current = { el, returnFocus, onKey, onDown };
  document.addEventListener("keydown", onKey, true);
  document.addEventListener("pointerdown", onDown, true);
  // Focus after the key that opened the menu is fully handled, so that its
  // Enter or Space does not also activate the first item.
  const first = buttons.find((b) => b.getAttribute("aria-disabled") !== "true") || buttons[0];
  setTimeout(() => { if (current && current.el === el) first?.focus({ preventScroll: true }); }, 0);
  return el;
}
