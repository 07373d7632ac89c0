// "Reviews": the reviewer's queue, one case with its plan on the map, its conflicts with
// the reviewer's own zones and operations (by name), the computed suggestions drawn as
// dashed alternatives, and a button for every decision.

import { get, post } from "./api.js";
import { announce, badge, clear, clearErrors, field, fmtBand, fmtTime, fmtWindow, formError, h, roleLabel, roleList, showErrors, stateLabel } from "./dom.js";
import * as m from "./map.js";
import { conflictFootprint } from "./overlap.js";
import { describeConflict, operationById, partyName, state, zoneById } from "./state.js";

let panel = null;
let hooks = { changed: async () => {} };
let scope = "queue";

export function initReviews(element, { changed }) {
  panel = element;
  hooks = { changed };
}

export async function loadQueue() {
  return get(`/v1/reviews?scope=${scope}&limit=200`);
}

export async function renderReviewList() {
  let cases = [];
  const error = formError("error-reviews");
  try {
    cases = await loadQueue();
  } catch (e) {
    showErrors(error, e, () => null);
  }
  const all = h("input", {
    type: "checkbox",
    "data-testid": "reviews-all",
    checked: scope === "all",
    onchange: (e) => {
      scope = e.target.checked ? "all" : "queue";
      renderReviewList();
    },
  });
  const items = cases.map((c) =>
    h(
      "li",
      {},
      h(
        "button",
        { type: "button", class: "item", "data-testid": "review-item", "data-id": c.id, "data-name": c.operation_name, "data-state": c.state, onclick: () => openCase(c.id) },
        h("span", { class: "item-title" }, c.operation_name),
        badge(c.state),
        h("span", { class: "item-meta" }, `v${c.version} from ${partyName(c.submitter_party_id)}`),
        c.current_stage !== null && c.stages[c.current_stage]
          ? h("span", { class: "item-meta" }, `Stage “${c.stages[c.current_stage].name}”, waiting on ${roleList(c.waiting_roles) || "—"}${c.due_at ? `, due ${fmtTime(c.due_at)}` : ""}`)
          : null,
        c.conflicts.length ? h("span", { class: "item-flag" }, `⚠ ${c.conflicts.length} conflict${c.conflicts.length > 1 ? "s" : ""}`) : null,
      ),
    ),
  );
  clear(
    panel,
    h("h2", {}, scope === "queue" ? "Review queue" : "All review cases"),
    h("label", { class: "inline" }, all, " Show every case of my party, decided ones too"),
    error,
    cases.length ? h("ul", { class: "items", "data-testid": "review-list" }, items) : h("p", { "data-testid": "review-list-empty" }, scope === "queue" ? "Nothing waiting for you." : "No review cases."),
  );
  return cases;
}

/** Maps an error location of a decision to a field of the decision form. */
function routeDecisionError(loc) {
  const path = loc[0] === "body" ? loc.slice(1) : loc;
  if (path[0] === "comment") return "comment";
  if (path[0] === "internal_note") return "internal_note";
  if (path[0] === "conditions") return "conditions";
  if (path[0] === "proposal") return "proposal";
  return null;
}

export async function openCase(id) {
  let review;
  let suggestions = [];
  try {
    review = await get(`/v1/reviews/${encodeURIComponent(id)}`);
  } catch (e) {
    announce(`Cannot open the case: ${e.detail}`, { error: true });
    return;
  }
  try {
    suggestions = await get(`/v1/operations/${encodeURIComponent(review.operation_id)}/suggestions`);
  } catch {
    suggestions = []; // e.g. the operation moved on to a newer version
  }
  const names = review.operation_names || {};
  m.clearGroup("focus");
  for (const v of review.volumes) {
    m.show("focus", v.footprint, "plan", { windows: [[Date.parse(v.time_start), Date.parse(v.time_end)]], tooltip: `${review.operation_name} (v${review.version})` });
  }
  for (const c of review.conflicts) {
    const windows = [[Date.parse(c.time_start), Date.parse(c.time_end)]];
    const plan = review.volumes[c.volume_index].footprint;
    const zone = c.with.type === "zone" && zoneById(c.with.id);
    if (zone) m.show("focus", conflictFootprint(plan, zone.footprint), "conflict", { windows, tooltip: `Overlap with “${zone.name}”`, testid: "conflict-shape" });
    const own = c.with.type === "operation" && c.with.id && operationById(c.with.id);
    if (own) for (const v of own.volumes) m.show("focus", conflictFootprint(plan, v.footprint), "conflict", { windows, tooltip: `Overlap with “${own.name}”`, testid: "conflict-shape" });
  }
  m.focusTime(review.volumes);
  const suggestionLayers = new Map();
  for (const s of suggestions) {
    suggestionLayers.set(
      s.id,
      s.volumes.map((v) => m.show("focus", v.footprint, "suggestion", { windows: [[Date.parse(v.time_start), Date.parse(v.time_end)]], tooltip: s.summary })),
    );
  }
  const choose = (chosen) => {
    for (const [sid, layers] of suggestionLayers) for (const l of layers) l.setStyle(sid === chosen ? m.STYLES.chosen : m.STYLES.suggestion);
  };

  const mayDecide = review.state === "open" && review.waiting_roles.some((r) => state.me.roles.includes(r));
  const stage = review.current_stage !== null ? review.stages[review.current_stage] : null;
  const detail = h(
    "section",
    { class: "detail", "data-testid": "review-detail", "data-id": review.id, "data-state": review.state },
    h("button", { type: "button", class: "link", "data-testid": "back-to-reviews", onclick: () => back() }, "← Review queue"),
    h("h2", {}, review.operation_name),
    h("p", {}, badge(review.state, "review-state"), ` version ${review.version} from ${partyName(review.submitter_party_id)}`),
    stage ? h("p", {}, `Stage ${review.current_stage + 1} of ${review.stages.length}: “${stage.name}” (${stage.rule === "all" ? "every role decides" : "one decision closes it"}), waiting on ${roleList(review.waiting_roles)}${review.due_at ? `; due ${fmtTime(review.due_at)}` : ""}.`) : null,
    h("h3", {}, "Plan"),
    h("ul", { class: "volumes" }, review.volumes.map((v) => h("li", {}, `${fmtBand(v.altitude_lower_m, v.altitude_upper_m)}, ${fmtWindow(v.time_start, v.time_end)}`))),
    h("h3", {}, "Conflicts with our zones and operations"),
    review.conflicts.length
      ? h("ul", { class: "conflicts", "data-testid": "review-conflicts" }, review.conflicts.map((c) => h("li", { "data-kind": c.kind }, describeConflict(c, names))))
      : h("p", {}, "None."),
    review.decisions.length
      ? [
          h("h3", {}, "Decisions so far"),
          h(
            "ul",
            { class: "decisions", "data-testid": "review-decisions" },
            review.decisions.map((d) =>
              h("li", {}, `${d.stage_name} (${roleLabel(d.role)}): `, h("strong", {}, d.decision ? stateLabel(d.decision) : "escalated"), d.comment ? ` — “${d.comment}”` : "", d.conditions ? ` — conditions: “${d.conditions.text}”` : "", d.internal_note ? h("span", { class: "internal-note", "data-testid": "internal-note" }, ` — internal: “${d.internal_note}”`) : ""),
            ),
          ),
        ]
      : null,
  );
  if (mayDecide) detail.append(decisionForm(review, suggestions, choose));
  else if (review.state === "open") detail.append(h("p", { class: "hint" }, `Waiting on ${roleList(review.waiting_roles)}: your roles (${roleList(state.me.roles)}) do not decide in this stage.`));
  clear(panel, detail);
  m.fitTo("focus");
}

function decisionForm(review, suggestions, choose) {
  const comment = h("textarea", { rows: 3, maxlength: 4000 });
  const note = h("textarea", { rows: 2, maxlength: 4000 });
  const conditions = h("textarea", { rows: 2, maxlength: 4000 });
  const radios = suggestions.map((s) =>
    h(
      "label",
      { class: "choice" },
      h("input", { type: "radio", name: "suggestion", value: s.id, "data-testid": "suggestion-choice", "data-kind": s.kind, onchange: () => choose(s.id) }),
      ` ${s.summary}`,
    ),
  );
  const none = h("label", { class: "choice" }, h("input", { type: "radio", name: "suggestion", value: "", checked: true, onchange: () => choose(null) }), " No proposal");
  const proposal = h(
    "div",
    { class: "field", "data-field": "proposal" },
    h("p", { class: "label" }, "Propose an alternative (dashed on the map)"),
    suggestions.length ? h("div", { class: "choices", "data-testid": "suggestion-choices" }, none, radios) : h("p", { class: "hint" }, "No computed alternative clears the conflicts with your operations."),
    h("p", { class: "field-error", role: "alert", "data-testid": "error-proposal", hidden: true }),
  );
  const form = h(
    "form",
    { class: "stack decision-form", "data-testid": "decision-form", novalidate: true },
    h("h3", {}, "Decision"),
    proposal,
    field("Comment to the submitter (the reason, for a rejection or a modification request)", comment, { key: "comment", testid: "decision-comment" }),
    field("Internal note (seen only inside our party)", note, { key: "internal_note", testid: "decision-internal-note" }),
    field("Conditions (for an approval with conditions)", conditions, { key: "conditions", testid: "decision-conditions" }),
    formError("error-decision"),
  );
  const decide = async (decision, button) => {
    clearErrors(form);
    const body = { decision, comment: comment.value, internal_note: note.value };
    if (decision === "approve_with_conditions") body.conditions = conditions.value.trim() ? { text: conditions.value } : null;
    if (decision === "request_modification") {
      const chosen = form.querySelector('input[name="suggestion"]:checked');
      if (chosen && chosen.value) body.proposal = { suggestion_id: chosen.value };
    }
    button.disabled = true;
    try {
      const decided = await post(`/v1/reviews/${encodeURIComponent(review.id)}/decisions`, body);
      announce(`${stateLabel(decision)}: “${review.operation_name}” — case ${stateLabel(decided.state)}.`);
      await hooks.changed();
      await openCase(review.id);
    } catch (e) {
      showErrors(form, e, routeDecisionError);
      button.disabled = false;
    }
  };
  const button = (decision, text, cls, testid) => {
    const b = h("button", { type: "button", class: cls, "data-testid": testid }, text);
    b.addEventListener("click", () => decide(decision, b));
    return b;
  };
  form.append(
    h(
      "div",
      { class: "row wrap" },
      button("approve", "Approve", "", "decide-approve"),
      button("approve_with_conditions", "Approve with conditions", "", "decide-approve-with-conditions"),
      button("request_modification", "Request modification", "secondary", "decide-request-modification"),
      button("reject", "Reject", "danger", "decide-reject"),
    ),
  );
  return form;
}

async function back() {
  m.clearGroup("focus");
  await renderReviewList();
}
