// What the page knows: who is signed in, the parties' names, visible zones, own operations.

import { get } from "./api.js";
import { fmtBand, fmtWindow } from "./dom.js";

export const state = {
  config: {},
  me: null, // {subject, party_id, roles: []}
  parties: new Map(), // id -> name
  zones: [],
  operations: [],
};

export function partyName(id) {
  if (!id) return "another party";
  return state.parties.get(id) || `party ${id.slice(0, 8)}`;
}

export function zoneById(id) {
  return state.zones.find((z) => z.id === id) || null;
}

export function operationById(id) {
  return state.operations.find((o) => o.id === id) || null;
}

export function hasRole(role) {
  return Boolean(state.me && state.me.roles.includes(role));
}

export async function loadParties() {
  try {
    const parties = await get("/v1/parties?limit=500");
    state.parties = new Map(parties.map((p) => [p.id, p.name]));
  } catch {
    state.parties = new Map(); // names are a nicety: ids are shown instead
  }
}

export async function loadZones() {
  state.zones = await get("/v1/zones?limit=500");
}

export async function loadOperations() {
  state.operations = await get("/v1/operations?limit=500");
}

const KIND_LABEL = {
  restricted_zone: "Restricted zone",
  review_zone: "Review zone",
  notify_zone: "Notify zone",
  operation: "Operation",
};

/** What a conflict is with, in words; `names` maps own operation ids to names. */
export function conflictTarget(conflict, names = {}) {
  const w = conflict.with || {};
  if (w.type === "zone") {
    const zone = zoneById(w.id);
    const kind = KIND_LABEL[conflict.kind] || "Zone";
    // A partner's zone has no name for us; a private one not even an id.
    if (!zone) return w.id ? `${kind} ${w.id}` : `${kind} of ${partyName(w.party_id)} (not disclosed)`;
    return zone.name ? `${kind} “${zone.name}” (${partyName(zone.party_id)})` : `${kind} of ${partyName(zone.party_id)}`;
  }
  if (!w.id) return "An operation of another party";
  const own = names[w.id] || (operationById(w.id) && operationById(w.id).name);
  return own ? `Operation “${own}”` : `Operation ${w.id.slice(0, 8)}`;
}

export function describeConflict(conflict, names = {}) {
  const where = conflict.volume_index > 0 ? ` (volume ${conflict.volume_index + 1})` : "";
  return `${conflictTarget(conflict, names)}${where}: ${fmtWindow(conflict.time_start, conflict.time_end)}, ${fmtBand(conflict.altitude_lower_m, conflict.altitude_upper_m)}`;
}

/** The windows in which a zone is active ([[startMs, endMs]]), or null: always. */
export function zoneWindows(zone) {
  if (!zone.active_periods || zone.active_periods.length === 0) return null;
  return zone.active_periods.map((p) => [Date.parse(p.start), Date.parse(p.end)]);
}
