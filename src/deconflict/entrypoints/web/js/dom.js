// Small DOM helpers: elements built with properties and attributes only (no HTML strings,
// no inline styles, so the page runs under a strict Content-Security-Policy).

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "value") el.value = value;
    else if (key === "checked") el.checked = Boolean(value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let fieldIds = 0;

/**
 * A labelled control with a place for its error right beside it.
 * `key` names the field for error routing (see `showErrors`); `testid` names it for tests.
 */
export function field(label, control, { key, testid, hint } = {}) {
  const id = control.id || `f${++fieldIds}`;
  control.id = id;
  if (testid) control.setAttribute("data-testid", testid);
  const error = h("p", {
    class: "field-error",
    id: `${id}-error`,
    role: "alert",
    "data-testid": `error-${testid || key}`,
    hidden: true,
  });
  const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  control.setAttribute("aria-describedby", [hintEl && hintEl.id, error.id].filter(Boolean).join(" "));
  const wrapper = h("div", { class: "field", "data-field": key || testid }, h("label", { for: id }, label), control, hintEl, error);
  return wrapper;
}

/** Clears every field error inside `root` (and its form-level error). */
export function clearErrors(root) {
  for (const el of root.querySelectorAll(".field-error")) {
    el.textContent = "";
    el.hidden = true;
  }
  for (const el of root.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

/**
 * Shows an ApiError's problems next to the fields they concern. `route(loc)` maps an
 * error location (["body", "volumes", 0, "altitude_upper_m"]) to a field key inside
 * `root`; what maps to no field goes to the form-level error `[data-field=form]`.
 */
export function showErrors(root, error, route) {
  clearErrors(root);
  const problems = error.errors && error.errors.length ? error.errors : [{ loc: [], msg: error.detail }];
  const rest = [];
  for (const problem of problems) {
    const key = route(problem.loc || []);
    const wrapper = key && root.querySelector(`[data-field="${key}"]`);
    if (!wrapper) {
      rest.push(problem.msg);
      continue;
    }
    const el = wrapper.querySelector(".field-error");
    el.textContent = el.textContent ? `${el.textContent}; ${problem.msg}` : problem.msg;
    el.hidden = false;
    const control = wrapper.querySelector("input, textarea, select");
    if (control) control.setAttribute("aria-invalid", "true");
  }
  if (rest.length || (error.errors && error.errors.length === 0)) {
    const formError = root.querySelector('[data-field="form"] .field-error');
    if (formError) {
      const lines = rest.length ? rest : [error.detail];
      formError.textContent = error.status === 429 ? `${lines.join("; ")} (retry in ${error.retryAfter} s)` : lines.join("; ");
      formError.hidden = false;
    }
  }
}

/** A form-level error slot (for problems that belong to no single field). */
export function formError(testid) {
  return h(
    "div",
    { class: "field", "data-field": "form" },
    h("p", { class: "field-error", role: "alert", "data-testid": testid, hidden: true }),
  );
}

const pad = (n) => String(n).padStart(2, "0");

/** "2030-01-01 08:00Z" */
export function fmtTime(value) {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return "?";
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}Z`;
}

/** "2030-01-01 08:00–09:30Z", or both dates when the window spans days. */
export function fmtWindow(start, end) {
  const a = fmtTime(start);
  const b = fmtTime(end);
  return a.slice(0, 10) === b.slice(0, 10) ? `${a.slice(0, -1)}–${b.slice(11)}` : `${a} – ${b}`;
}

export function fmtBand(lower, upper) {
  return `${Math.round(lower)}–${Math.round(upper)} m`;
}

/** "50 m horizontal, 10 m vertical, 60 s": the minima a plan was grown by to be compared. */
export function fmtSeparation(sep) {
  return `${Math.round(sep.horizontal_m)} m horizontal, ${Math.round(sep.vertical_m)} m vertical, ${Math.round(sep.time_s)} s`;
}

/** The value of a UTC time field for a Date: "2030-01-01 08:00" (24-hour, whatever the
 * browser's locale: a datetime-local input would show 12-hour AM/PM in some). */
export function toLocalInput(date) {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
}

/** A UTC time field's value ("2030-01-01 08:00", or with a "T") as an RFC 3339 string,
 * or null. */
export function fromLocalInput(value) {
  const match = /^\s*(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?\s*$/.exec(value);
  return match ? `${match[1]}T${match[2]}${match[3] || ":00"}Z` : null;
}

export function stateLabel(state) {
  return String(state || "").replace(/_/g, " ");
}

/** A role id as words: "command_review" -> "command review". */
export function roleLabel(role) {
  return String(role || "").replace(/_/g, " ");
}

export function roleList(roles) {
  return roles.map(roleLabel).join(", ");
}

export function badge(state, testid) {
  return h("span", { class: `badge state-${state}`, "data-testid": testid }, stateLabel(state));
}

let statusTimer = null;

/** A short message in the status line (announced to screen readers). */
export function announce(message, { error = false } = {}) {
  const el = document.getElementById("status");
  el.textContent = message;
  el.classList.toggle("error", error);
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => {
    el.textContent = "";
  }, 6000);
}
