// Small helpers to build the page with DOM calls. Every value from the API is put in as text
// (text nodes, textContent, attributes), never parsed as HTML.

/** Makes an element: `el("a", {href: "#/", class: "x", onclick: fn}, "text", child, ...)`. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      node.className = value;
    } else if (key === "for") {
      node.htmlFor = value;
    } else if (key === "value") {
      node.value = value;
    } else if (key === "checked") {
      node.checked = Boolean(value);
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  add(node, children);
  return node;
}

/** Appends children to `node`, skipping null, undefined and false (unlike `Node.append`). */
export function append(node, ...children) {
  add(node, children);
  return node;
}

function add(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `node`. */
export function replace(node, ...children) {
  node.replaceChildren();
  add(node, children);
  return node;
}

const ZERO = "0001-01-01T00:00:00Z";

/** A date-time of the API as a Date, or null for none (Graph's `0001-01-01T00:00:00Z`). */
export function date(value) {
  if (!value || value === ZERO) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** "2 Dec 2026, 14:05". */
export function formatDate(d) {
  return d ? absolute.format(d) : "—";
}

/** "in 3 days", "5 minutes ago". */
export function relative(d, now = Date.now()) {
  const seconds = (d.getTime() - now) / 1000;
  const steps = [[60, "second"], [60, "minute"], [24, "hour"], [30, "day"], [12, "month"], [Infinity, "year"]];
  let value = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) return relativeFormat.format(Math.round(value), unit);
    value /= size;
  }
  return "";
}

/** A `<time>` with the absolute and the relative form: "5 Dec 2026, 14:00 (in 3 days)". */
export function timeEl(d) {
  if (!d) return el("span", {}, "—");
  return el("time", { datetime: d.toISOString() }, `${formatDate(d)} (${relative(d)})`);
}

/** A message for an error of the API or the network, saying plainly when it is a 403. */
export function errorText(err) {
  if (err && err.status === 403) return `Not allowed: ${err.message}`;
  if (err && err.status === 401) return `Not signed in: ${err.message}`;
  return err && err.message ? err.message : String(err);
}

/** An error box (`role="alert"`), with a `data-status` for styling and tests. */
export function errorBox(err) {
  return el("p", { class: "error", role: "alert", "data-status": err && err.status }, errorText(err));
}

/**
 * Asks before a destructive action, in a modal `<dialog>`; resolves to true when confirmed.
 * The dialog's buttons are named by their text: the action ("Delete") and "Cancel".
 */
export function confirmAction(question, action) {
  return new Promise((resolve) => {
    const dialog = el("dialog", { class: "confirm", "aria-labelledby": "confirm-question" });
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    dialog.append(
      el("p", { id: "confirm-question" }, question),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "danger", onclick: () => done(true) }, action),
        el("button", { type: "button", onclick: () => done(false) }, "Cancel")),
    );
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Announces a short message in the page's live region. */
export function announce(text) {
  let region = document.getElementById("announce");
  if (!region) {
    region = el("p", { id: "announce", class: "announce", role: "status" });
    document.body.append(region);
  }
  region.textContent = text;
}
