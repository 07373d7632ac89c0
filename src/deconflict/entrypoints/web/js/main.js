// The page: sign-in with a pasted token (or at the OAuth2 authorization server), tabs, the map with its time slider, and the
// panels (operations, new operation, reviews, notices).

import { ApiError, claimsOf, clearToken, get, getToken, setToken, whenUnauthorized } from "./api.js";
import { announce, clear, fmtTime, h, roleList, showErrors } from "./dom.js";
import * as m from "./map.js";
import { finishLogin, isCallback, issuerHost, startLogin } from "./oauth.js";
import { initNotices, loadNotices, renderNotices } from "./notices.js";
import { drawOperations, initOperations, openOperation, renderOperationList } from "./operations.js";
import { initReviews, loadQueue, renderReviewList } from "./reviews.js";
import { loadOperations, loadParties, loadZones, partyName, state, zoneWindows } from "./state.js";
import { renderSubmit, reshow } from "./submit.js";

const $ = (id) => document.getElementById(id);
const STEP_MS = 15 * 60 * 1000;
let mapReady = null;
let timeBase = 0;

async function loadConfig() {
  try {
    const response = await fetch("/ui/config.json", { cache: "no-store" });
    return await response.json();
  } catch {
    return {};
  }
}

function showSignIn(message) {
  $("workspace").hidden = true;
  $("sign-out").hidden = true;
  $("whoami").hidden = true;
  $("sign-in").hidden = false;
  const error = $("token-input-error");
  error.textContent = message || "";
  error.hidden = !message;
  $("token-input").focus();
}

function signOut(message) {
  clearToken();
  state.me = null;
  state.operations = [];
  state.zones = [];
  document.body.removeAttribute("data-session");
  $("status").textContent = "";
  if (m.theMap()) for (const name of ["zones", "operations", "conflicts", "focus"]) m.clearGroup(name);
  $("token-input").value = "";
  showSignIn(message);
}

/** Who a token names, by the deployment's claim names (for display: the API verifies). */
function callerOf(token) {
  const claims = claimsOf(token);
  const partyClaim = state.config.claim_party || "party";
  const rolesClaim = state.config.claim_roles || "roles";
  let roles = claims[rolesClaim] || [];
  if (typeof roles === "string") roles = roles.split(/\s+/).filter(Boolean);
  return { subject: claims.sub || "", party_id: String(claims[partyClaim] || ""), roles, exp: claims.exp };
}

async function signIn(event) {
  event.preventDefault();
  const token = $("token-input").value.trim().replace(/^Bearer\s+/i, "");
  const form = $("sign-in-form");
  const route = () => "token";
  if (!token) {
    showErrors(form, new ApiError(0, { detail: "paste a token" }), route);
    return;
  }
  try {
    callerOf(token);
  } catch {
    showErrors(form, new ApiError(0, { detail: "this is not a token (a JWT has three dot-separated parts)" }), route);
    return;
  }
  try {
    await get("/v1/operations?limit=1", { token, quiet401: true });
  } catch (e) {
    showErrors(form, new ApiError(e.status, { detail: e.status === 401 ? `The server refused this token: ${e.detail}` : e.detail }), route);
    return;
  }
  setToken(token);
  await enter(token);
}

// ---- sign-in at the OAuth2 authorization server -------------------------------------------

function showOAuthError(message) {
  const error = $("oauth-sign-in-error");
  error.textContent = message || "";
  error.hidden = !message;
}

function initOAuth() {
  const oauth = state.config.oauth2;
  if (!oauth) return;
  const button = $("oauth-sign-in-button");
  button.textContent = `Sign in with ${issuerHost(oauth)}`;
  $("oauth-sign-in").hidden = false;
  button.addEventListener("click", async () => {
    showOAuthError("");
    button.disabled = true;
    try {
      await startLogin(oauth);
    } catch (e) {
      showOAuthError(e.message);
      button.disabled = false;
    }
  });
}

/** A return from the authorization server: true when it signed the person in. */
async function finishOAuth() {
  const oauth = state.config.oauth2;
  let token;
  try {
    if (!oauth) throw new Error("Sign-in refused: this deployment has no OAuth2 sign-in configured");
    token = await finishLogin(oauth);
    await get("/v1/operations?limit=1", { token, quiet401: true });
    callerOf(token);
  } catch (e) {
    showSignIn();
    const detail = e instanceof ApiError && e.status === 401 ? `The server refused the token received: ${e.detail}` : e.message;
    showOAuthError(detail);
    return false;
  }
  setToken(token);
  await enter(token);
  return true;
}

async function enter(token) {
  try {
    state.me = callerOf(token);
  } catch {
    signOut("The stored token is unreadable: sign in again.");
    return;
  }
  $("sign-in").hidden = true;
  $("workspace").hidden = false;
  $("sign-out").hidden = false;
  if (!mapReady) mapReady = m.createMap($("map"), state.config);
  await mapReady;
  m.theMap().invalidateSize();
  try {
    await Promise.all([loadParties(), loadZones(), loadOperations()]);
  } catch (e) {
    if (e.status !== 401) announce(`Loading failed: ${e.detail}`, { error: true });
    return;
  }
  const who = $("whoami");
  clear(
    who,
    h("strong", { "data-testid": "whoami-party" }, partyName(state.me.party_id)),
    h("span", { class: "roles", "data-testid": "whoami-roles" }, roleList(state.me.roles)),
    state.me.exp ? h("span", { class: "hint" }, `token until ${fmtTime(state.me.exp * 1000)}`) : null,
  );
  who.hidden = false;
  renderSubmit($("panel-submit"), { submitted: refresh, open: openFromElsewhere });
  drawZones();
  drawOperations();
  setUpTimeRange();
  m.fitTo("zones", "operations");
  await selectTab(state.me.roles.includes("submitter") || !state.me.roles.length ? "operations" : "reviews");
  await updateCounts();
  document.body.setAttribute("data-session", "ready");
}

function drawZones() {
  m.clearGroup("zones");
  for (const zone of state.zones) {
    const kind = ["review", "notify", "restricted"].includes(zone.kind) ? zone.kind : "review";
    const when = zone.active_periods.length ? `active ${zone.active_periods.map((p) => `${fmtTime(p.start)}–${fmtTime(p.end).slice(11)}`).join(", ")}` : "always active";
    m.show("zones", zone.footprint, kind, {
      windows: zoneWindows(zone),
      testid: "zone",
      name: zone.name || "",
      label: zone.name || "",
      tooltip: `${kind[0].toUpperCase()}${kind.slice(1)} zone${zone.name ? ` “${zone.name}”` : ""} — ${partyName(zone.party_id)}, ${Math.round(zone.altitude_lower_m)}–${Math.round(zone.altitude_upper_m)} m, ${when}`,
    });
  }
}

/** After any change: reload own operations (and counts), redraw the map. */
async function refresh() {
  await loadOperations();
  drawOperations();
  setUpTimeRange();
  await updateCounts();
}

async function updateCounts() {
  const set = (testid, n) => {
    const el = document.querySelector(`[data-testid="${testid}"]`);
    el.textContent = n ? String(n) : "";
  };
  try {
    set("reviews-count", (await loadQueue()).length);
  } catch {
    set("reviews-count", 0);
  }
  try {
    set("notices-count", (await loadNotices()).filter((n) => n.ack === "pending").length);
  } catch {
    set("notices-count", 0);
  }
}

async function openFromElsewhere(id) {
  await selectTab("operations");
  await openOperation(id);
}

async function selectTab(name) {
  m.stopDrawing();
  for (const tab of document.querySelectorAll("[data-tab]")) {
    const selected = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(selected));
    $(`panel-${tab.dataset.tab}`).hidden = !selected;
  }
  m.clearGroup("focus");
  if (name === "operations") renderOperationList();
  else if (name === "submit") reshow();
  else if (name === "reviews") await renderReviewList();
  else if (name === "notices") await renderNotices();
}

// ---- time slider --------------------------------------------------------------------------

function setUpTimeRange() {
  const times = [Date.now()];
  for (const op of state.operations) for (const v of op.volumes) times.push(Date.parse(v.time_start), Date.parse(v.time_end));
  for (const z of state.zones) for (const p of z.active_periods) times.push(Date.parse(p.start), Date.parse(p.end));
  const lo = Math.floor(Math.min(...times) / 3600000) * 3600000;
  let hi = Math.ceil(Math.max(...times) / 3600000) * 3600000;
  hi = Math.max(hi, lo + 24 * 3600000);
  hi = Math.min(hi, lo + 14 * 24 * 3600000); // a fortnight at most: 15-minute steps stay usable
  timeBase = lo;
  const slider = $("time-slider");
  slider.max = String(Math.round((hi - lo) / STEP_MS));
  slider.dataset.base = String(lo);
  if ($("time-all").checked) slider.value = String(Math.round((Date.now() - lo) / STEP_MS));
  applyTime();
}

function applyTime() {
  const all = $("time-all").checked;
  const t = timeBase + Number($("time-slider").value) * STEP_MS;
  $("time-label").textContent = all ? "All times" : fmtTime(t);
  $("time-slider").setAttribute("aria-valuetext", all ? "all times" : fmtTime(t));
  m.setTime(all ? null : t);
}

/** Shows the map at the first step of the slider within [start, end) (a plan's window),
 * "All times" off: what is active on other days no longer draws over the plan. */
function focusTime({ start, end }) {
  const slider = $("time-slider");
  let step = Math.ceil((start - timeBase) / STEP_MS);
  if (timeBase + step * STEP_MS >= end) step = Math.floor((start - timeBase) / STEP_MS);
  if (step < 0 || step > Number(slider.max) + 14 * 24 * 4) return; // far off the slider's range
  if (step > Number(slider.max)) slider.max = String(step);
  slider.value = String(step);
  $("time-all").checked = false;
  applyTime();
}

function initTimebar() {
  $("time-slider").addEventListener("input", () => {
    $("time-all").checked = false;
    applyTime();
  });
  $("time-all").addEventListener("change", applyTime);
  document.addEventListener("deconflict:focus-time", (e) => focusTime(e.detail));
}

// ---- start --------------------------------------------------------------------------------

async function start() {
  state.config = await loadConfig();
  whenUnauthorized(() => signOut("The server refused your token (expired or revoked): sign in again."));
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signOut());
  for (const tab of document.querySelectorAll("[data-tab]")) tab.addEventListener("click", () => selectTab(tab.dataset.tab));
  initTimebar();
  const changed = async () => refresh();
  initOperations($("panel-operations"), { changed });
  initReviews($("panel-reviews"), { changed });
  initNotices($("panel-notices"), { changed });
  initOAuth();
  const token = getToken();
  if (isCallback()) await finishOAuth();
  else if (token) await enter(token);
  else showSignIn();
  document.body.setAttribute("data-ready", "true");
}

start();
