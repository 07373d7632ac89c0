// "Operations": the party's own operations on the map (conflicts highlighted), and one
// operation's detail: conflicts, a reviewer's modification request with the suggestions
// to accept, the answers to its notices, and its history of versions and decisions.

import { get, post } from "./api.js";
import { announce, badge, clear, fmtBand, fmtTime, fmtWindow, formError, h, roleLabel, showErrors, stateLabel } from "./dom.js";
import * as m from "./map.js";
import { conflictFootprint } from "./overlap.js";
import { describeConflict, partyName, state, zoneById } from "./state.js";

const ON_MAP = new Set(["submitted", "in_review", "approved", "approved_with_conditions", "modification_requested", "activated"]);
const FINAL = new Set(["rejected", "withdrawn", "ended"]);

let panel = null;
let hooks = { changed: async () => {} };

export function initOperations(element, { changed }) {
  panel = element;
  hooks = { changed };
}

/** Draws own operations (and their conflicts) on the map. */
export function drawOperations() {
  m.clearGroup("operations");
  m.clearGroup("conflicts");
  for (const op of state.operations) {
    if (!ON_MAP.has(op.state)) continue;
    for (const v of op.volumes) {
      const windows = [[Date.parse(v.time_start), Date.parse(v.time_end)]];
      const tip = `${op.name} — ${stateLabel(op.state)}, ${fmtBand(v.altitude_lower_m, v.altitude_upper_m)}, ${fmtWindow(v.time_start, v.time_end)}`;
      const layer = m.show("operations", v.footprint, "operation", { windows, tooltip: tip, testid: "operation-shape", name: op.name });
      layer.on("click", () => openOperation(op.id));
      if (op.conflicts.some((c) => c.volume_index === op.volumes.indexOf(v))) {
        m.show("conflicts", v.footprint, "conflict", { windows, style: { weight: 3 } });
      }
    }
  }
}

export function renderOperationList() {
  const ops = state.operations;
  const items = ops.map((op) =>
    h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: "item",
          "data-testid": "operation-item",
          "data-id": op.id,
          "data-name": op.name,
          "data-state": op.state,
          onclick: () => openOperation(op.id),
        },
        h("span", { class: "item-title" }, op.name),
        badge(op.state),
        conditionsLine(op, "operation-item-conditions"),
        h("span", { class: "item-meta" }, `v${op.version} · ${op.volumes.length ? fmtWindow(op.volumes[0].time_start, op.volumes[0].time_end) : ""}`),
        op.conflicts.length && ON_MAP.has(op.state) ? h("span", { class: "item-flag", title: "Has conflicts" }, `⚠ ${op.conflicts.length} conflict${op.conflicts.length > 1 ? "s" : ""}`) : null,
      ),
    ),
  );
  clear(
    panel,
    h("h2", {}, "Operations"),
    ops.length ? h("ul", { class: "items", "data-testid": "operation-list" }, items) : h("p", { "data-testid": "operation-list-empty" }, "No operations yet."),
  );
}

/** The conditions of an approval, where the state is shown: a pilot must not miss them. */
function conditionsLine(op, testid) {
  if (!op.conditions || !op.conditions.length) return null;
  return h("span", { class: "item-conditions", "data-testid": testid }, `Conditions: ${op.conditions.map((c) => c.text).join("; ")}`);
}

function conditionsBlock(op) {
  if (!op.conditions || !op.conditions.length) return null;
  return h(
    "div",
    { class: "conditions", role: "note", "data-testid": "operation-conditions" },
    h("h3", {}, "Approved on conditions — keep to them"),
    h("ul", {}, op.conditions.map((c) => h("li", {}, `${partyName(c.party_id)}: ${c.text}${c.altitude_lower_m !== null ? ` (${fmtBand(c.altitude_lower_m, c.altitude_upper_m)})` : ""}${c.time_window ? ` (${fmtWindow(c.time_window.start, c.time_window.end)})` : ""}`))),
  );
}

function historySection(history) {
  return h(
    "section",
    { class: "history", "data-testid": "history" },
    h("h3", {}, "History"),
    h(
      "ol",
      { class: "versions" },
      history.versions.map((v) =>
        h(
          "li",
          { "data-testid": "history-version", "data-version": v.version, "data-state": v.state },
          h("p", {}, h("strong", {}, `Version ${v.version}`), " ", badge(v.state), ` submitted ${fmtTime(v.submitted_at)}`),
          h("ul", { class: "volumes" }, v.volumes.map((vol) => h("li", {}, volumeText(vol)))),
          v.reviews.map((r) =>
            h(
              "div",
              { class: "case" },
              h("p", {}, `Review by ${partyName(r.reviewer_party_id)}: `, badge(r.state), r.current_stage_label ? h("span", { "data-testid": "history-stage-label" }, ` — now at “${r.current_stage_label}”`) : ""),
              r.decisions.length
                ? h(
                    "ul",
                    { class: "decisions" },
                    r.decisions.map((d) =>
                      h(
                        "li",
                        { "data-testid": "history-decision", "data-decision": d.decision || "escalated" },
                        // The submitter gets neither stage names nor roles: a public label at most.
                        `${fmtTime(d.decided_at)} · ${d.stage_name ? `${d.stage_name} (${roleLabel(d.role)})` : d.stage_label || "review"}: `,
                        h("strong", {}, d.decision ? stateLabel(d.decision) : "escalated at the deadline"),
                        d.automatic ? " (automatic)" : "",
                        d.comment ? ` — “${d.comment}”` : "",
                        d.conditions ? ` — conditions: “${d.conditions.text}”` : "",
                        d.internal_note ? ` — internal: “${d.internal_note}”` : "",
                      ),
                    ),
                  )
                : h("p", { class: "hint" }, "No decision yet."),
            ),
          ),
        ),
      ),
    ),
  );
}

function volumeText(v) {
  const f = v.footprint;
  const shape = f.type === "circle" ? `circle r ${Math.round(f.radius_m)} m at ${f.center.lat.toFixed(4)}, ${f.center.lng.toFixed(4)}` : `polygon of ${f.vertices.length} vertices`;
  return `${shape}; ${fmtBand(v.altitude_lower_m, v.altitude_upper_m)}; ${fmtWindow(v.time_start, v.time_end)}`;
}

/** The latest modification request of the current version: {comment, suggestion_id, by}. */
function modificationRequest(history, version) {
  const current = history.versions.find((v) => v.version === version);
  if (!current) return null;
  for (const r of [...current.reviews].reverse()) {
    const d = [...r.decisions].reverse().find((x) => x.decision === "request_modification");
    if (d) return { comment: d.comment, suggestionId: d.proposal && d.proposal.suggestion_id, by: partyName(r.reviewer_party_id) };
  }
  return null;
}

export async function openOperation(id) {
  let op, history;
  try {
    [op, history] = await Promise.all([get(`/v1/operations/${encodeURIComponent(id)}`), get(`/v1/operations/${encodeURIComponent(id)}/history`)]);
  } catch (e) {
    announce(`Cannot open the operation: ${e.detail}`, { error: true });
    return;
  }
  m.clearGroup("focus");
  for (const v of op.volumes) m.show("focus", v.footprint, "plan", { windows: [[Date.parse(v.time_start), Date.parse(v.time_end)]], tooltip: op.name });
  for (const c of op.conflicts) {
    const zone = c.with && c.with.type === "zone" ? zoneById(c.with.id) : null;
    const plan = op.volumes[c.volume_index].footprint;
    if (zone) m.show("focus", conflictFootprint(plan, zone.footprint), "conflict", { windows: [[Date.parse(c.time_start), Date.parse(c.time_end)]], tooltip: `Overlap with “${zone.name}”`, testid: "conflict-shape" });
  }
  m.focusTime(op.volumes);
  const detail = h(
    "section",
    { class: "detail", "data-testid": "operation-detail", "data-id": op.id, "data-state": op.state },
    h("button", { type: "button", class: "link", "data-testid": "back-to-operations", onclick: () => back() }, "← All operations"),
    h("h2", {}, op.name),
    h("p", {}, badge(op.state, "operation-state"), ` version ${op.version} · priority ${op.priority}`),
    conditionsBlock(op),
    h("ul", { class: "volumes" }, op.volumes.map((v) => h("li", {}, volumeText(v)))),
    op.conflicts.length
      ? [h("h3", {}, "Conflicts"), h("ul", { class: "conflicts", "data-testid": "operation-conflicts" }, op.conflicts.map((c) => h("li", { "data-kind": c.kind }, describeConflict(c))))]
      : h("p", {}, "No conflicts."),
  );
  const request = op.state === "modification_requested" ? modificationRequest(history, op.version) : null;
  if (op.state === "modification_requested") {
    detail.append(await suggestionsSection(op, request));
  }
  const noticeAnswers = await sentNotices(op.id);
  if (noticeAnswers) detail.append(noticeAnswers);
  if (!FINAL.has(op.state)) {
    const error = formError("error-withdraw");
    const withdraw = h(
      "button",
      {
        type: "button",
        class: "danger",
        "data-testid": "withdraw",
        onclick: async () => {
          if (!window.confirm(`Withdraw “${op.name}”?`)) return;
          try {
            await post(`/v1/operations/${encodeURIComponent(op.id)}/withdraw`);
            announce(`Withdrew “${op.name}”.`);
            await hooks.changed();
            await openOperation(op.id);
          } catch (e) {
            showErrors(error, e, () => null);
          }
        },
      },
      "Withdraw",
    );
    detail.append(h("div", { class: "row" }, withdraw), error);
  }
  detail.append(historySection(history));
  clear(panel, detail);
  m.fitTo("focus");
}

async function suggestionsSection(op, request) {
  let suggestions = [];
  try {
    suggestions = await get(`/v1/operations/${encodeURIComponent(op.id)}/suggestions`);
  } catch {
    suggestions = [];
  }
  const error = formError("error-accept");
  const section = h(
    "section",
    { class: "modification", "data-testid": "modification-request" },
    h("h3", {}, "Modification requested"),
    request ? h("p", {}, `${request.by}: `, h("q", { "data-testid": "modification-comment" }, request.comment || "(no comment)")) : null,
    suggestions.length ? h("p", {}, "The reviewer's proposal (dashed on the map): accepting it keeps to what they asked.") : h("p", {}, "No proposal from the reviewer: change the plan and submit a new version."),
  );
  for (const s of suggestions) {
    const proposed = request && request.suggestionId === s.id;
    for (const v of s.volumes) {
      m.show("focus", v.footprint, proposed ? "chosen" : "suggestion", { windows: [[Date.parse(v.time_start), Date.parse(v.time_end)]], tooltip: s.summary });
    }
  }
  const list = h(
    "ul",
    { class: "suggestions" },
    suggestions.map((s) => {
      const proposed = request && request.suggestionId === s.id;
      return h(
        "li",
        { "data-testid": "suggestion-item", "data-kind": s.kind, "data-id": s.id, "data-proposed": proposed ? "true" : "false", class: proposed ? "proposed" : "" },
        h("p", {}, proposed ? h("strong", {}, "Proposed by the reviewer: ") : null, s.summary),
        h("ul", { class: "volumes" }, s.volumes.map((v) => h("li", {}, volumeText(v)))),
        h(
          "button",
          {
            type: "button",
            "data-testid": "accept-suggestion",
            onclick: async (e) => {
              e.target.disabled = true;
              try {
                const updated = await post(`/v1/operations/${encodeURIComponent(op.id)}/suggestions/${encodeURIComponent(s.id)}/accept`);
                announce(`Accepted: “${op.name}” is now version ${updated.version}, ${stateLabel(updated.state)}.`);
                await hooks.changed();
                await openOperation(op.id);
              } catch (err) {
                showErrors(error, err, () => null);
                e.target.disabled = false;
              }
            },
          },
          "Accept this alternative",
        ),
      );
    }),
  );
  section.append(list, error);
  return section;
}

async function sentNotices(id) {
  let notices = [];
  try {
    notices = await get(`/v1/operations/${encodeURIComponent(id)}/notices`);
  } catch {
    return null;
  }
  if (!notices.length) return null;
  return h(
    "section",
    { "data-testid": "sent-notices" },
    h("h3", {}, "Notices sent"),
    h(
      "ul",
      {},
      notices.map((n) =>
        h(
          "li",
          {},
          `${n.kind} to ${partyName(n.recipient_party_id)} (v${n.version}): `,
          badge(n.ack),
          n.ack_comment ? ` — “${n.ack_comment}”` : "",
        ),
      ),
    ),
  );
}

function back() {
  m.clearGroup("focus");
  renderOperationList();
}
