// "Notices": what partners' plans enter of the party's notify zones (only the overlap:
// where, how high, when, who), each to acknowledge or answer with a concern.

import { get, post } from "./api.js";
import { badge, clear, clearErrors, field, fmtBand, fmtSeparation, fmtTime, fmtWindow, formError, h, showErrors } from "./dom.js";
import * as m from "./map.js";
import { zoneById } from "./state.js";

let panel = null;
let hooks = { changed: async () => {} };

export function initNotices(element, { changed }) {
  panel = element;
  hooks = { changed };
}

export async function loadNotices() {
  return get("/v1/notices?limit=200");
}

function drawNotice(n) {
  if (!n.outline) return null;
  const windows = n.time_start ? [[Date.parse(n.time_start), Date.parse(n.time_end)]] : null;
  return m.show("focus", n.outline, "notice", { windows, tooltip: `Notice from ${n.submitter_name}` });
}

export async function renderNotices() {
  let notices = [];
  const error = formError("error-notices");
  try {
    notices = await loadNotices();
  } catch (e) {
    showErrors(error, e, () => null);
  }
  m.clearGroup("focus");
  const items = notices.map((n) => {
    const layer = drawNotice(n);
    const zone = zoneById(n.zone_id);
    const comment = h("textarea", { rows: 2, maxlength: 4000 });
    const form = h("form", { class: "stack", novalidate: true });
    const answer = async (status, button) => {
      clearErrors(form);
      button.disabled = true;
      try {
        await post(`/v1/notices/${encodeURIComponent(n.id)}/ack`, { status, comment: comment.value });
        await hooks.changed();
        await renderNotices();
      } catch (e) {
        showErrors(form, e, (loc) => (loc[1] === "comment" || loc[0] === "comment" ? "comment" : null));
        button.disabled = false;
      }
    };
    const ack = h("button", { type: "button", "data-testid": "notice-ack" }, "Acknowledge");
    ack.addEventListener("click", () => answer("acknowledged", ack));
    if (n.time_start) {
      const concern = h("button", { type: "button", class: "secondary", "data-testid": "notice-concern" }, "Raise a concern");
      concern.addEventListener("click", () => answer("concern", concern));
      form.append(field("Comment (needed with a concern)", comment, { key: "comment", testid: "notice-comment" }), formError("error-notice"), h("div", { class: "row" }, ack, concern));
    } else {
      // A plan withdrawn or moved out of the zone: nothing left to be concerned about.
      form.append(formError("error-notice"), h("div", { class: "row" }, ack));
    }
    return h(
      "li",
      { class: "notice", "data-testid": "notice-item", "data-id": n.id, "data-kind": n.kind, "data-ack": n.ack },
      h(
        "button",
        { type: "button", class: "link", onclick: () => layer && m.theMap().fitBounds(layer.getBounds().pad(1)) },
        h("strong", {}, `${n.kind === "entry" ? "Entry" : n.kind[0].toUpperCase() + n.kind.slice(1)} from ${n.submitter_name}`),
      ),
      h("p", {}, `${n.time_start ? "Into" : "Was in"} ${zone ? `“${zone.name}”` : `zone ${n.zone_id}`}`, n.time_start ? h("span", { "data-testid": "notice-planned" }, `: planned ${fmtWindow(n.time_start, n.time_end)}, ${fmtBand(n.altitude_lower_m, n.altitude_upper_m)}`) : ""),
      n.separation ? h("p", { class: "item-meta", "data-testid": "notice-separation" }, `Separation applied: ${fmtSeparation(n.separation)}`) : null,
      h("p", { class: "item-meta" }, `Reference ${n.reference.slice(0, 8)} · version ${n.version} · received ${fmtTime(n.created_at)}`),
      h("p", {}, badge(n.ack, "notice-status"), n.ack_comment ? ` — “${n.ack_comment}”` : ""),
      n.ack === "pending" ? form : null,
    );
  });
  clear(
    panel,
    h("h2", {}, "Notices"),
    error,
    notices.length ? h("ul", { class: "items notices", "data-testid": "notice-list" }, items) : h("p", { "data-testid": "notice-list-empty" }, "No notices."),
  );
  if (notices.length) m.fitToWith({ pad: 2, maxZoom: 13 }, "focus");
  return notices;
}
