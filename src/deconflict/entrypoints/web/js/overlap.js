// Where two footprints overlap, to draw a conflict as the part of a zone (or operation)
// that a plan enters rather than the whole zone. Drawing only: the server decides what
// conflicts. Worked in degrees: an intersection is unchanged by the affine stretch from
// metres to degrees, and footprints are small next to the Earth's curvature.

const M_PER_DEG_LAT = 111320;
const CIRCLE_SEGMENTS = 64;

/** A footprint's outer ring as [[lat, lng], ...] (a circle as a 64-gon), counter-clockwise. */
export function ringOf(footprint) {
  let ring;
  if (footprint.type === "circle") {
    const { lat, lng } = footprint.center;
    const dLat = footprint.radius_m / M_PER_DEG_LAT;
    const dLng = dLat / Math.max(Math.cos((lat * Math.PI) / 180), 1e-6);
    ring = [];
    for (let i = 0; i < CIRCLE_SEGMENTS; i++) {
      const a = (2 * Math.PI * i) / CIRCLE_SEGMENTS;
      ring.push([lat + dLat * Math.sin(a), lng + dLng * Math.cos(a)]);
    }
  } else {
    ring = footprint.vertices.map((p) => [p.lat, p.lng]);
  }
  return signedArea(ring) < 0 ? ring.reverse() : ring;
}

// x = lng, y = lat: counter-clockwise means a positive area.
function signedArea(ring) {
  let s = 0;
  for (let i = 0; i < ring.length; i++) {
    const [y1, x1] = ring[i];
    const [y2, x2] = ring[(i + 1) % ring.length];
    s += x1 * y2 - x2 * y1;
  }
  return s / 2;
}

function cross(o, a, b) {
  return (a[1] - o[1]) * (b[0] - o[0]) - (a[0] - o[0]) * (b[1] - o[1]);
}

export function isConvex(ring) {
  for (let i = 0; i < ring.length; i++) {
    if (cross(ring[i], ring[(i + 1) % ring.length], ring[(i + 2) % ring.length]) < -1e-18) return false;
  }
  return true;
}

/** The convex hull (counter-clockwise) of a ring: Andrew's monotone chain. */
export function hull(ring) {
  const pts = [...ring].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  const half = (points) => {
    const out = [];
    for (const p of points) {
      while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], p) <= 0) out.pop();
      out.push(p);
    }
    out.pop();
    return out;
  };
  return [...half(pts), ...half([...pts].reverse())];
}

/** `subject` clipped by the convex, counter-clockwise `clip` (Sutherland–Hodgman). */
function clipConvex(subject, clip) {
  let output = subject;
  for (let i = 0; i < clip.length && output.length; i++) {
    const a = clip[i];
    const b = clip[(i + 1) % clip.length];
    const inside = (p) => cross(a, b, p) >= 0;
    const meet = (p, q) => {
      const [y1, x1] = p;
      const [y2, x2] = q;
      const [y3, x3] = a;
      const [y4, x4] = b;
      const d = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4);
      const t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / d;
      return [y1 + t * (y2 - y1), x1 + t * (x2 - x1)];
    };
    const input = output;
    output = [];
    for (let j = 0; j < input.length; j++) {
      const p = input[j];
      const q = input[(j + 1) % input.length];
      if (inside(q)) {
        if (!inside(p)) output.push(meet(p, q));
        output.push(q);
      } else if (inside(p)) {
        output.push(meet(p, q));
      }
    }
  }
  return output;
}

/**
 * The polygon footprint where `a` and `b` overlap, or null when they do not (a conflict
 * found within the separation minimum, without touching). When neither is convex, `b` is
 * clipped by `a`'s convex hull: the drawing may then reach a little beyond `a`.
 */
export function overlapFootprint(a, b) {
  const ra = ringOf(a);
  const rb = ringOf(b);
  let ring;
  if (isConvex(rb)) ring = clipConvex(ra, rb);
  else if (isConvex(ra)) ring = clipConvex(rb, ra);
  else ring = clipConvex(rb, hull(ra));
  if (ring.length < 3 || Math.abs(signedArea(ring)) < 1e-14) return null;
  return { type: "polygon", vertices: ring.map(([lat, lng]) => ({ lat, lng })), holes: [] };
}

/** What to draw for a conflict of `plan` with `other`: their overlap, else the plan itself
 * (it comes within the separation of `other` without entering it). */
export function conflictFootprint(plan, other) {
  return overlapFootprint(plan, other) || plan;
}
