// Errors and notices the user must see: toasts in the page (never only the
// console), and a modal dialog for questions such as "keep or discard your
// live actions?". All text goes in through textContent.

import { h, clear } from "./dom.js";

export class Notifier {
  constructor(container, announcer) {
    this.el = container;
    this.announcer = announcer;
  }

  /** Shows an error banner that stays until closed (or replaced by the same message). */
  error(message, title = "Something went wrong") {
    for (const t of this.el.querySelectorAll(".toast.error")) {
      if (t.dataset.msg === message) t.remove();
    }
    const close = h("button", { type: "button", class: "icon-btn", "aria-label": "Dismiss", "data-testid": "toast-close", text: "×" });
    const t = h("div", { class: "toast error", role: "alert", "data-testid": "error-banner", dataset: { msg: message } },
      h("div", { class: "grow" }, h("div", { class: "t-title", text: title }), h("div", { class: "t-msg", "data-testid": "error-message", text: message })),
      close);
    close.addEventListener("click", () => t.remove());
    this.el.prepend(t);
    while (this.el.querySelectorAll(".toast.error").length > 3) this.el.querySelector(".toast.error:last-of-type")?.remove();
    return t;
  }

  /** A notice that fades after a few seconds. */
  info(message, ms = 4500) {
    const close = h("button", { type: "button", class: "icon-btn", "aria-label": "Dismiss", text: "×" });
    const t = h("div", { class: "toast info", role: "status", "data-testid": "info-toast" },
      h("div", { class: "grow" }, h("div", { class: "t-msg", text: message })), close);
    close.addEventListener("click", () => t.remove());
    this.el.append(t);
    setTimeout(() => t.remove(), ms);
    while (this.el.querySelectorAll(".toast.info").length > 3) this.el.querySelector(".toast.info")?.remove();
  }

  clearErrors() {
    for (const t of this.el.querySelectorAll(".toast.error")) t.remove();
  }

  announce(text) {
    if (!this.announcer) return;
    this.announcer.textContent = "";
    requestAnimationFrame(() => { this.announcer.textContent = text; });
  }
}

/**
 * Asks a question in a modal dialog. `choices` is a list of {label, value,
 * primary?, danger?}; resolves with the chosen value, or null when dismissed
 * (Escape).
 */
export function ask(dialog, title, body, choices) {
  return new Promise((resolve) => {
    clear(dialog);
    const paras = (Array.isArray(body) ? body : [body]).map((b) => (b instanceof Node ? b : h("p", { text: b })));
    const buttons = choices.map((c) =>
      h("button", {
        type: "button",
        class: "btn" + (c.primary ? " primary" : "") + (c.danger ? " danger" : ""),
        "data-testid": "confirm-" + c.value,
        text: c.label,
        onclick: () => { finish(c.value); },
      }));
    dialog.append(h("h2", { id: "confirm-title", text: title }), ...paras, h("div", { class: "actions" }, buttons));
    dialog.setAttribute("aria-labelledby", "confirm-title");
    let done = false;
    const finish = (v) => {
      if (done) return;
      done = true;
      dialog.removeEventListener("close", onClose);
      if (dialog.open) dialog.close();
      resolve(v);
    };
    const onClose = () => finish(null);
    dialog.addEventListener("close", onClose);
    dialog.showModal();
    (buttons.find((b) => b.classList.contains("primary")) || buttons[0])?.focus();
  });
}
