// The map: an offline base (graticule and the Isle of Veloria's outline from shipped
// GeoJSON), optional tiles, layers for zones, operations, conflicts and whatever a panel
// focuses on, a time filter, a legend and drawing (Leaflet-Geoman).
/* global L */

import { h } from "./dom.js";

const L_ = () => window.L;

// Okabe-Ito colours; each kind also has its own line style and fill pattern.
export const STYLES = {
  operation: { color: "#0072B2", weight: 2, opacity: 1, fillColor: "#0072B2", fillOpacity: 0.22 },
  conflict: { color: "#CC79A7", weight: 5, opacity: 1, dashArray: "12 4 2 4", fill: false, interactive: false },
  review: { color: "#E69F00", weight: 2.5, opacity: 1, dashArray: "10 6", fillColor: "url(#pat-review)", fillOpacity: 1 },
  notify: { color: "#56B4E9", weight: 3, opacity: 1, dashArray: "1 6", lineCap: "round", fillColor: "url(#pat-notify)", fillOpacity: 1 },
  restricted: { color: "#D55E00", weight: 3.5, opacity: 1, fillColor: "url(#pat-restricted)", fillOpacity: 1 },
  draft: { color: "#000000", weight: 2, opacity: 1, dashArray: "5 4", fillColor: "#000000", fillOpacity: 0.1 },
  // Black, not blue: a reviewer's own operations are blue beside it.
  plan: { color: "#000000", weight: 3.5, opacity: 1, fillColor: "#000000", fillOpacity: 0.18 },
  suggestion: { color: "#009E73", weight: 3, opacity: 1, dashArray: "8 6", fillColor: "#009E73", fillOpacity: 0.03 },
  chosen: { color: "#009E73", weight: 5, opacity: 1, dashArray: "8 6", fillColor: "#009E73", fillOpacity: 0.12 },
  notice: { color: "#332288", weight: 2.5, opacity: 1, dashArray: "2 5", lineCap: "round", fillColor: "url(#pat-notice)", fillOpacity: 1 },
};

export const LEGEND = [
  ["operation", "Own operation"],
  ["conflict", "Conflict"],
  ["review", "Review zone"],
  ["notify", "Notify zone"],
  ["restricted", "Restricted zone"],
  ["plan", "Plan under review"],
  ["draft", "Draft (being drawn)"],
  ["suggestion", "Suggested alternative"],
  ["notice", "Notice area"],
];

export const VELORIA = [-30.0, -140.0];

let map = null;
const groups = {};
let timeFilter = null; // ms since epoch, or null: all times

export function theMap() {
  return map;
}

export async function createMap(element, config) {
  const L = L_();
  map = L.map(element, { zoomSnap: 0.25, renderer: L.svg({ padding: 0.5 }), attributionControl: true });
  map.attributionControl.setPrefix("Leaflet");
  map.setView(VELORIA, 10.5);
  if (config.tile_url) {
    const attribution = escapeText(config.tile_attribution || "");
    L.tileLayer(config.tile_url, { attribution, maxZoom: 19, crossOrigin: false }).addTo(map);
    element.classList.add("with-tiles");
  }
  for (const name of ["base", "zones", "operations", "conflicts", "focus"]) {
    groups[name] = L.featureGroup().addTo(map);
  }
  addGraticule();
  map.on("moveend zoomend", addGraticule);
  await addIsland();
  addLegend();
  setUpDrawing();
  window.deconflictMap = map; // for people poking around in the console, and the UI tests
  return map;
}

function escapeText(text) {
  const div = document.createElement("div");
  div.textContent = text;
  return div.innerHTML;
}

// ---- base map -------------------------------------------------------------------------

let graticule = null;
const STEPS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30];

function addGraticule() {
  const L = L_();
  if (graticule) graticule.remove();
  graticule = L.layerGroup();
  const b = map.getBounds();
  const span = Math.max(b.getNorth() - b.getSouth(), b.getEast() - b.getWest());
  const step = STEPS.find((s) => span / s <= 10) || 30;
  const decimals = (String(step).split(".")[1] || "").length;
  const fmt = (v, pos, neg) => `${Math.abs(v).toFixed(decimals)}°${v < 0 ? neg : pos}`;
  const south = Math.max(-85, Math.floor(b.getSouth() / step) * step);
  const north = Math.min(85, Math.ceil(b.getNorth() / step) * step);
  const west = Math.floor(b.getWest() / step) * step;
  const east = Math.ceil(b.getEast() / step) * step;
  const line = { color: "#4a6b82", weight: 0.6, opacity: 0.45, interactive: false, className: "graticule" };
  const size = map.getSize();
  for (let lat = south; lat <= north + 1e-9; lat += step) {
    graticule.addLayer(L.polyline([[lat, west], [lat, east]], line));
    const y = map.latLngToContainerPoint([lat, b.getWest()]).y;
    if (y > 90 && y < size.y - 30) graticule.addLayer(label([lat, b.getWest()], fmt(lat, "N", "S"), "graticule-label lat"));
  }
  for (let lng = west; lng <= east + 1e-9; lng += step) {
    graticule.addLayer(L.polyline([[south, lng], [north, lng]], line));
    const x = map.latLngToContainerPoint([b.getSouth(), lng]).x;
    if (x > 40 && x < size.x - 40) graticule.addLayer(label([b.getSouth(), lng], fmt(lng, "E", "W"), "graticule-label lng"));
  }
  graticule.addTo(map);
}

function label(latlng, text, className) {
  const L = L_();
  const icon = L.divIcon({ className, html: h("span", {}, text), iconSize: [0, 0] });
  return L.marker(latlng, { icon, interactive: false, keyboard: false });
}

async function addIsland() {
  const L = L_();
  let data;
  try {
    data = await (await fetch("/ui/data/veloria.geojson")).json();
  } catch {
    return; // the map still works without its outline
  }
  const land = L.geoJSON(data, {
    filter: (f) => f.properties.kind === "land",
    style: () => ({ color: "#5b6b5a", weight: 1.2, fillColor: "#f1ede0", fillOpacity: 0.9, interactive: false, className: "coast" }),
  });
  groups.base.addLayer(land);
  for (const f of data.features.filter((x) => x.properties.kind === "label")) {
    const [lng, lat] = f.geometry.coordinates;
    groups.base.addLayer(label([lat, lng], f.properties.name, `place-label rank-${f.properties.rank}`));
  }
  land.bringToBack();
}

// ---- legend ---------------------------------------------------------------------------

export function swatch(kind) {
  const NS = "http://www.w3.org/2000/svg";
  const s = STYLES[kind];
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", "34");
  svg.setAttribute("height", "18");
  svg.setAttribute("aria-hidden", "true");
  const rect = document.createElementNS(NS, "rect");
  for (const [k, v] of Object.entries({ x: 3, y: 3, width: 28, height: 12 })) rect.setAttribute(k, v);
  rect.setAttribute("stroke", s.color);
  rect.setAttribute("stroke-width", String(Math.min(s.weight, 4)));
  if (s.dashArray) rect.setAttribute("stroke-dasharray", s.dashArray);
  if (s.lineCap) rect.setAttribute("stroke-linecap", s.lineCap);
  rect.setAttribute("fill", s.fill === false ? "none" : s.fillColor);
  rect.setAttribute("fill-opacity", String(s.fill === false ? 0 : s.fillOpacity));
  svg.append(rect);
  return svg;
}

function addLegend() {
  const L = L_();
  const Legend = L.Control.extend({
    options: { position: "bottomright" },
    onAdd() {
      const box = h(
        "div",
        { class: "legend leaflet-bar", "data-testid": "legend" },
        h("p", { class: "legend-title" }, "Legend"),
        h("ul", {}, LEGEND.map(([kind, text]) => h("li", { "data-kind": kind }, swatch(kind), h("span", {}, text)))),
      );
      L.DomEvent.disableClickPropagation(box);
      return box;
    },
  });
  new Legend().addTo(map);
}

// ---- content layers ---------------------------------------------------------------------

/** A Leaflet layer for a native footprint ({type: circle|polygon, ...}). */
export function footprintLayer(footprint, style) {
  const L = L_();
  if (footprint.type === "circle") {
    return L.circle([footprint.center.lat, footprint.center.lng], { ...style, radius: footprint.radius_m });
  }
  const rings = [footprint.vertices, ...(footprint.holes || [])].map((ring) => ring.map((p) => [p.lat, p.lng]));
  return L.polygon(rings, style);
}

/**
 * Adds a footprint to a group with its style and time windows ([[startMs, endMs]], or
 * null: always), so the time filter can dim it. Returns the layer.
 */
export function show(groupName, footprint, kind, { windows = null, tooltip = null, testid = null, name = null, style = null, label: text = null } = {}) {
  const base = { ...STYLES[kind], ...(style || {}) };
  const layer = footprintLayer(footprint, base);
  layer.deconflict = { base, windows, kind };
  if (text) groups[groupName].addLayer(label(centreOf(footprint), text, `zone-label ${kind}`));
  if (tooltip) layer.bindTooltip(tooltip, { sticky: true });
  const mark = () => {
    const el = layer.getElement && layer.getElement();
    if (!el) return;
    el.setAttribute("data-kind", kind);
    if (testid) el.setAttribute("data-testid", testid);
    if (name) el.setAttribute("data-name", name);
  };
  layer.on("add", mark);
  groups[groupName].addLayer(layer);
  applyTimeTo(layer);
  return layer;
}

/** Where a footprint's label goes: a circle's centre, the middle of a polygon's extent. */
function centreOf(footprint) {
  if (footprint.type === "circle") return [footprint.center.lat, footprint.center.lng];
  const lats = footprint.vertices.map((p) => p.lat);
  const lngs = footprint.vertices.map((p) => p.lng);
  return [(Math.min(...lats) + Math.max(...lats)) / 2, (Math.min(...lngs) + Math.max(...lngs)) / 2];
}

/** Pans (and zooms out if need be) so that the layer is in view, when it is not. */
export function reveal(layer) {
  const bounds = layer.getBounds();
  if (!map.getBounds().contains(bounds)) map.fitBounds(bounds.pad(0.5), { maxZoom: map.getZoom(), animate: false });
}

/** Asks the time bar to show the map at the start of these volumes' windows (the page
 * listens: see main.js), so that what is active at other times is dimmed. */
export function focusTime(volumes) {
  if (!volumes.length) return;
  const start = Math.min(...volumes.map((v) => Date.parse(v.time_start)));
  const end = Math.max(...volumes.map((v) => Date.parse(v.time_end)));
  document.dispatchEvent(new CustomEvent("deconflict:focus-time", { detail: { start, end } }));
}

export function clearGroup(name) {
  groups[name].clearLayers();
}

export function group(name) {
  return groups[name];
}

export function windowsOfVolumes(volumes) {
  return volumes.map((v) => [Date.parse(v.time_start), Date.parse(v.time_end)]);
}

function applyTimeTo(layer) {
  const meta = layer.deconflict;
  if (!meta || !layer.setStyle) return;
  const t = timeFilter;
  const active = t === null || !meta.windows || meta.windows.some(([a, b]) => a <= t && t < b);
  layer.setStyle(
    active
      ? { opacity: meta.base.opacity ?? 1, fillOpacity: meta.base.fillOpacity ?? 0.2 }
      : { opacity: 0.18, fillOpacity: Math.min(meta.base.fillOpacity ?? 0.2, 0.04) },
  );
  const el = layer.getElement && layer.getElement();
  if (el) el.classList.toggle("inactive", !active);
}

export function setTime(t) {
  timeFilter = t;
  for (const name of ["zones", "operations", "conflicts", "focus"]) groups[name].eachLayer(applyTimeTo);
}

/** Fits the map to the layers of the named groups (when there are any). */
export function fitTo(...names) {
  fitToWith({}, ...names);
}

export function fitToWith({ pad = 0.15, maxZoom = 14 }, ...names) {
  const L = L_();
  const bounds = L.latLngBounds([]);
  for (const name of names) {
    groups[name].eachLayer((layer) => {
      if (layer.getBounds) bounds.extend(layer.getBounds());
    });
  }
  if (bounds.isValid()) map.fitBounds(bounds.pad(pad), { maxZoom, animate: false });
}

// ---- drawing ------------------------------------------------------------------------------

let drawListener = null;

function setUpDrawing() {
  map.pm.setGlobalOptions({
    pathOptions: STYLES.draft,
    templineStyle: { color: "#000000", dashArray: "5 4" },
    hintlineStyle: { color: "#000000", dashArray: "2 4" },
    snappable: false,
    continueDrawing: false,
    tooltips: true,
  });
  map.on("pm:create", (e) => {
    const layer = e.layer;
    layer.remove(); // the form redraws the draft from its fields, the one source of truth
    if (drawListener) drawListener(footprintOf(layer));
  });
}

/** Starts drawing a "Polygon" or "Circle"; `done(footprint)` gets the native footprint. */
export function startDrawing(shape, done) {
  drawListener = done;
  map.pm.disableDraw();
  map.pm.enableDraw(shape, { finishOn: null });
}

export function stopDrawing() {
  if (map && map.pm) map.pm.disableDraw();
  drawListener = null;
}

const round6 = (x) => Math.round(x * 1e6) / 1e6;

export function footprintOf(layer) {
  if (layer instanceof L_().Circle) {
    const c = layer.getLatLng();
    return { type: "circle", center: { lat: round6(c.lat), lng: round6(c.lng) }, radius_m: Math.round(layer.getRadius()) };
  }
  const ring = layer.getLatLngs()[0];
  return { type: "polygon", vertices: ring.map((p) => ({ lat: round6(p.lat), lng: round6(p.lng) })), holes: [] };
}

/** Makes a layer editable in place; `changed(footprint)` after each edit. */
export function editable(layer, changed) {
  layer.pm.enable({ allowSelfIntersection: true, snappable: false });
  layer.on("pm:edit", () => changed(footprintOf(layer)));
}
