// "New operation": a footprint drawn on the map or typed in (the fields are the one source
// of truth; drawing fills them in), an altitude band and a time window, a live dry run
// (POST /v1/checks) and the submission (POST /v1/operations).

import { ApiError, post } from "./api.js";
import {
  badge,
  clear,
  clearErrors,
  field,
  formError,
  fromLocalInput,
  h,
  showErrors,
  toLocalInput,
} from "./dom.js";
import * as m from "./map.js";
import { conflictFootprint } from "./overlap.js";
import { describeConflict, partyName, zoneById } from "./state.js";

let els = null;
let draft = null; // the draft's layer on the map
let lastChecked = "";
let checkTimer = null;
let checkSeq = 0;
let hooks = { submitted: () => {}, open: () => {} };
let highlights = []; // conflict highlights of the dry run, in the focus group

/** Maps an error location in a check or submission body to a field of this form. */
export function routeVolumeError(loc) {
  const path = loc[0] === "body" ? loc.slice(1) : loc;
  if (path[0] === "name") return "name";
  if (path[0] === "priority") return "name";
  let rest = path;
  if (rest[0] === "volumes") rest = rest.slice(2);
  const [head, next] = rest;
  if (head === "footprint") {
    if (next === "radius_m") return "radius";
    if (next === "center") return rest[2] === "lng" ? "center-lng" : "center";
    if (next === "vertices" || next === "holes") return "polygon";
    return "footprint";
  }
  if (head === "altitude_lower_m") return "alt-lower";
  if (head === "altitude_upper_m") return "alt-upper";
  if (head === "time_start") return "start";
  if (head === "time_end") return "end";
  if (path[0] === "volumes") return "footprint";
  return null;
}

function defaults() {
  const start = new Date(Date.now() + 2 * 3600 * 1000);
  start.setUTCMinutes(0, 0, 0);
  const end = new Date(start.getTime() + 3600 * 1000);
  return { start: toLocalInput(start), end: toLocalInput(end) };
}

export function renderSubmit(panel, { submitted, open }) {
  hooks = { submitted, open };
  const d = defaults();
  const input = (attrs) => h("input", { autocomplete: "off", ...attrs });
  els = {
    name: input({ type: "text", maxlength: 200, required: true }),
    shape: h(
      "select",
      {},
      h("option", { value: "circle" }, "Circle"),
      h("option", { value: "polygon" }, "Polygon"),
    ),
    lat: input({ type: "number", step: "any", inputmode: "decimal" }),
    lng: input({ type: "number", step: "any", inputmode: "decimal" }),
    radius: input({ type: "number", step: "any", min: "1", inputmode: "decimal" }),
    polygon: h("textarea", { rows: 5, spellcheck: "false", placeholder: "-29.95, -139.92\n-29.95, -139.90\n-29.97, -139.90" }),
    lower: input({ type: "number", step: "any", value: "20", inputmode: "decimal" }),
    upper: input({ type: "number", step: "any", value: "120", inputmode: "decimal" }),
    start: input({ type: "text", value: d.start, placeholder: "2030-01-01 08:00", spellcheck: "false" }),
    end: input({ type: "text", value: d.end, placeholder: "2030-01-01 09:30", spellcheck: "false" }),
    check: h("div", { class: "check-result", "data-testid": "check-result", "data-outcome": "none", "aria-live": "polite" }, "Draw or enter a footprint to see what it would meet."),
    result: h("div", { class: "submit-result", "data-testid": "submit-result", "aria-live": "polite" }),
  };
  const drawPolygon = h("button", { type: "button", class: "secondary", "data-testid": "draw-polygon", onclick: () => draw("Polygon") }, "Draw polygon");
  const drawCircle = h("button", { type: "button", class: "secondary", "data-testid": "draw-circle", onclick: () => draw("Circle") }, "Draw circle");
  const circleFields = h(
    "div",
    { class: "shape-fields", "data-shape": "circle" },
    h(
      "div",
      { class: "row" },
      field("Centre latitude", els.lat, { key: "center", testid: "op-circle-lat" }),
      field("Centre longitude", els.lng, { key: "center-lng", testid: "op-circle-lng" }),
    ),
    field("Radius (m)", els.radius, { key: "radius", testid: "op-circle-radius" }),
  );
  const polygonFields = h(
    "div",
    { class: "shape-fields", "data-shape": "polygon", hidden: true },
    field("Vertices: one “latitude, longitude” per line", els.polygon, { key: "polygon", testid: "op-polygon" }),
  );
  const form = h(
    "form",
    { class: "stack", "data-testid": "submit-form", novalidate: true },
    h("h2", {}, "New operation"),
    field("Name", els.name, { key: "name", testid: "op-name" }),
    h(
      "fieldset",
      {},
      h("legend", {}, "Footprint"),
      h("p", { class: "hint" }, "Draw on the map (click the corners, then the first corner again; or a circle's centre, then its edge), or type the coordinates."),
      h("div", { class: "row" }, drawPolygon, drawCircle),
      field("Shape", els.shape, { key: "shape", testid: "op-shape" }),
      circleFields,
      polygonFields,
      h("div", { class: "field", "data-field": "footprint" }, h("p", { class: "field-error", role: "alert", "data-testid": "error-op-footprint", hidden: true })),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Altitude band (m, WGS-84)"),
      h(
        "div",
        { class: "row" },
        field("Lower", els.lower, { key: "alt-lower", testid: "op-alt-lower" }),
        field("Upper", els.upper, { key: "alt-upper", testid: "op-alt-upper" }),
      ),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Time window (UTC, 24-hour)"),
      field("Start", els.start, { key: "start", testid: "op-start", hint: "YYYY-MM-DD HH:MM" }),
      field("End", els.end, { key: "end", testid: "op-end", hint: "YYYY-MM-DD HH:MM" }),
    ),
    h("h3", {}, "Dry run"),
    els.check,
    formError("error-submit-form"),
    h("div", { class: "row" }, h("button", { type: "submit", "data-testid": "op-submit" }, "Submit operation"), h("button", { type: "button", class: "secondary", "data-testid": "op-reset", onclick: reset }, "Clear")),
    els.result,
  );
  els.form = form;
  els.circleFields = circleFields;
  els.polygonFields = polygonFields;
  els.shape.addEventListener("change", () => {
    showShapeFields();
    changed();
  });
  for (const el of [els.name, els.lat, els.lng, els.radius, els.polygon, els.lower, els.upper, els.start, els.end]) {
    el.addEventListener("input", changed);
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
  });
  clear(panel, form);
}

function showShapeFields() {
  const circle = els.shape.value === "circle";
  els.circleFields.hidden = !circle;
  els.polygonFields.hidden = circle;
}

function draw(shape) {
  m.startDrawing(shape, (footprint) => {
    m.stopDrawing();
    fillFootprint(footprint);
    changed();
  });
}

function fillFootprint(footprint) {
  els.shape.value = footprint.type;
  showShapeFields();
  if (footprint.type === "circle") {
    els.lat.value = footprint.center.lat;
    els.lng.value = footprint.center.lng;
    els.radius.value = footprint.radius_m;
  } else {
    els.polygon.value = footprint.vertices.map((p) => `${p.lat}, ${p.lng}`).join("\n");
  }
}

/** The footprint typed into the form, or a problem {key, msg}. */
function readFootprint() {
  const num = (el) => (el.value.trim() === "" ? null : Number(el.value));
  if (els.shape.value === "circle") {
    const [lat, lng, radius] = [num(els.lat), num(els.lng), num(els.radius)];
    if (lat === null || lng === null) return { problem: { key: "center", msg: "enter the centre, or draw a circle" } };
    if (radius === null) return { problem: { key: "radius", msg: "enter a radius" } };
    return { footprint: { type: "circle", center: { lat, lng }, radius_m: radius } };
  }
  const vertices = [];
  const lines = els.polygon.value.split("\n").map((l) => l.trim()).filter(Boolean);
  for (const [i, line] of lines.entries()) {
    const parts = line.split(/[,;\s]+/).filter(Boolean).map(Number);
    if (parts.length !== 2 || parts.some((x) => !Number.isFinite(x))) {
      return { problem: { key: "polygon", msg: `line ${i + 1}: expected “latitude, longitude”` } };
    }
    vertices.push({ lat: parts[0], lng: parts[1] });
  }
  if (vertices.length === 0) return { problem: { key: "polygon", msg: "enter the vertices, or draw a polygon" } };
  return { footprint: { type: "polygon", vertices, holes: [] } };
}

/** The volume the form describes, or the problems that keep it from being one. */
function readVolume() {
  const problems = [];
  const { footprint, problem } = readFootprint();
  if (problem) problems.push(problem);
  const number = (el, key) => {
    if (el.value.trim() === "") {
      problems.push({ key, msg: "required" });
      return null;
    }
    return Number(el.value);
  };
  const lower = number(els.lower, "alt-lower");
  const upper = number(els.upper, "alt-upper");
  const start = fromLocalInput(els.start.value);
  const end = fromLocalInput(els.end.value);
  if (!start) problems.push({ key: "start", msg: "enter a start (UTC) as YYYY-MM-DD HH:MM" });
  if (!end) problems.push({ key: "end", msg: "enter an end (UTC) as YYYY-MM-DD HH:MM" });
  if (problems.length) return { problems, footprint };
  return {
    footprint,
    volume: { footprint, altitude_lower_m: lower, altitude_upper_m: upper, altitude_reference: "W84", time_start: start, time_end: end },
  };
}

function showDraft(footprint, volume) {
  m.clearGroup("focus");
  highlights = [];
  draft = null;
  if (!footprint) return;
  const windows = volume ? [[Date.parse(volume.time_start), Date.parse(volume.time_end)]] : null;
  try {
    draft = m.show("focus", footprint, "draft", { windows, testid: "draft-shape", tooltip: "Draft" });
  } catch {
    draft = null; // coordinates Leaflet cannot draw: the dry run will say what is wrong
    return;
  }
  m.editable(draft, (edited) => {
    fillFootprint(edited);
    changed({ redraw: false });
  });
}

function localProblems(problems) {
  const error = new ApiError(422, { detail: "incomplete", errors: problems.map((p) => ({ loc: ["form", p.key], msg: p.msg })) });
  showErrors(els.form, error, (loc) => loc[1]);
}

function changed({ redraw = true } = {}) {
  els.result.replaceChildren();
  const read = readVolume();
  if (redraw) showDraft(read.footprint, read.volume);
  clearTimeout(checkTimer);
  if (!read.volume) {
    setCheck("none", "Complete the footprint, band and window to see what it would meet.");
    return;
  }
  checkTimer = setTimeout(() => {
    // Once typing pauses: typed coordinates may lie off the part of the map in view.
    if (draft) m.reveal(draft);
    check(read.volume);
  }, 450);
}

function setCheck(outcome, ...children) {
  els.check.setAttribute("data-outcome", outcome);
  clear(els.check, ...children);
}

async function check(volume) {
  const body = JSON.stringify(volume);
  if (body === lastChecked) return;
  lastChecked = body;
  const seq = ++checkSeq;
  setCheck("pending", "Checking…");
  let result;
  try {
    result = await post("/v1/checks", { volumes: [volume] });
  } catch (e) {
    if (seq !== checkSeq) return;
    lastChecked = "";
    showErrors(els.form, e, routeVolumeError);
    setCheck("error", e.status === 429 ? `Too many checks: retrying in ${e.retryAfter} s.` : "The dry run found a problem with the form: see the fields.");
    if (e.status === 429) checkTimer = setTimeout(() => check(volume), e.retryAfter * 1000);
    return;
  }
  if (seq !== checkSeq) return;
  clearErrors(els.form);
  showCheck(result);
}

export function outcomeOf(result) {
  if (result.refused) return "refused";
  if (result.required_reviews.length) return "review";
  return "approved";
}

function conflictList(conflicts, testid) {
  if (!conflicts.length) return null;
  return h("ul", { class: "conflicts", "data-testid": testid }, conflicts.map((c) => h("li", { "data-kind": c.kind }, describeConflict(c))));
}

function highlightConflictZones(conflicts) {
  for (const layer of highlights) m.group("focus").removeLayer(layer);
  highlights = [];
  const plan = draft && m.footprintOf(draft);
  for (const c of conflicts) {
    const zone = c.with && c.with.type === "zone" ? zoneById(c.with.id) : null;
    if (zone && plan) highlights.push(m.show("focus", conflictFootprint(plan, zone.footprint), "conflict", { tooltip: `Overlap with “${zone.name}”`, testid: "conflict-shape" }));
  }
  if (draft && conflicts.length) highlights.push(m.show("focus", m.footprintOf(draft), "conflict"));
}

function showCheck(result) {
  const outcome = outcomeOf(result);
  const headline = {
    refused: "Refused: the plan enters a restricted zone. It cannot be submitted as it is.",
    review: `Needs review by ${[...new Set(result.required_reviews.map((r) => partyName(r.party_id)))].join(", ")}.`,
    approved: result.conflicts.length ? "Would be approved at once (the conflicts below need no review)." : "Clear: would be approved at once.",
  }[outcome];
  const notices = result.notices.length
    ? h("p", { "data-testid": "check-notices" }, `Notice to ${[...new Set(result.notices.map((n) => partyName(n.party_id)))].join(", ")}.`)
    : null;
  setCheck(outcome, h("p", { class: "headline" }, headline), notices, conflictList(result.conflicts, "check-conflicts"));
  highlightConflictZones(result.conflicts);
}

async function submit() {
  clearErrors(els.form);
  const read = readVolume();
  const name = els.name.value.trim();
  const problems = read.problems ? [...read.problems] : [];
  if (problems.length) {
    localProblems(problems);
    return;
  }
  const button = els.form.querySelector('[data-testid="op-submit"]');
  button.disabled = true;
  try {
    const operation = await post("/v1/operations", { name, priority: 0, volumes: [read.volume] });
    clear(
      els.result,
      h("p", {}, "Submitted “", operation.name, "”: ", badge(operation.state, "submit-state"), ` (version ${operation.version}).`),
      h("button", { type: "button", class: "link", "data-testid": "open-submitted", onclick: () => hooks.open(operation.id) }, "Open it"),
    );
    els.result.setAttribute("data-state", operation.state);
    m.clearGroup("focus");
    highlights = [];
    draft = null;
    lastChecked = "";
    hooks.submitted(operation);
  } catch (e) {
    showErrors(els.form, e, routeVolumeError);
    if (e.refused && e.conflicts) {
      setCheck("refused", h("p", { class: "headline" }, "Refused: the plan enters a restricted zone."), conflictList(e.conflicts, "check-conflicts"));
    }
  } finally {
    button.disabled = false;
  }
}

function reset() {
  const d = defaults();
  for (const el of [els.name, els.lat, els.lng, els.radius, els.polygon]) el.value = "";
  els.lower.value = "20";
  els.upper.value = "120";
  els.start.value = d.start;
  els.end.value = d.end;
  clearErrors(els.form);
  els.result.replaceChildren();
  m.clearGroup("focus");
  highlights = [];
  draft = null;
  lastChecked = "";
  setCheck("none", "Draw or enter a footprint to see what it would meet.");
}

/** Called when the panel is shown again: redraw the draft the form holds. */
export function reshow() {
  if (!els) return;
  m.stopDrawing();
  const read = readVolume();
  showDraft(read.footprint, read.volume);
}
