"""Domain values to and from the JSON documents stored in the database.

This is the storage format, not the API: it may change only with a migration.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from typing import Any

from deconflict.domain.assessment import (
    Assessment,
    Conflict,
    ConflictKind,
    NoticeTarget,
    RequiredReview,
)
from deconflict.domain.chain import (
    AutoApprovalRule,
    DeadlineAction,
    ReviewChain,
    Stage,
    StageRule,
)
from deconflict.domain.conflicts import Overlap
from deconflict.domain.operation import Flexibility
from deconflict.domain.review import Conditions, ImposedConditions, Proposal
from deconflict.domain.volumes import (
    AltitudeBand,
    AltitudeReference,
    Circle,
    Footprint,
    LatLng,
    LengthUnit,
    Polygon,
    StatedBand,
    TimeWindow,
    Volume4D,
)

Json = dict[str, Any]


def _ring(ring: tuple[LatLng, ...]) -> list[list[float]]:
    return [[p.lng, p.lat] for p in ring]


def _points(ring: list[list[float]]) -> tuple[LatLng, ...]:
    return tuple(LatLng(lat, lng) for lng, lat in ring)


def footprint_to_json(footprint: Footprint) -> Json:
    if isinstance(footprint, Circle):
        c = footprint.center
        return {"circle": [c.lng, c.lat], "radius_m": footprint.radius_m}
    return {"polygon": [_ring(footprint.exterior), *(_ring(h) for h in footprint.holes)]}


def footprint_from_json(doc: Json) -> Footprint:
    if "circle" in doc:
        lng, lat = doc["circle"]
        return Circle(LatLng(lat, lng), doc["radius_m"])
    shell, *holes = doc["polygon"]
    return Polygon(_points(shell), tuple(_points(h) for h in holes))


def _stated_to_json(s: StatedBand) -> Json:
    return {
        "lower": s.lower,
        "lower_reference": s.lower_reference.value,
        "upper": s.upper,
        "upper_reference": s.upper_reference.value,
        "unit": s.unit.value,
    }


def _stated_from_json(doc: Json) -> StatedBand:
    return StatedBand(
        doc["lower"],
        AltitudeReference(doc["lower_reference"]),
        doc["upper"],
        AltitudeReference(doc["upper_reference"]),
        LengthUnit(doc["unit"]),
    )


def band_to_json(band: AltitudeBand) -> Json:
    doc: Json = {
        "lower_m": band.lower_m,
        "upper_m": band.upper_m,
        "reference": band.reference.value,
    }
    if band.stated is not None:
        doc["stated"] = _stated_to_json(band.stated)
    return doc


def band_from_json(doc: Json) -> AltitudeBand:
    stated = doc.get("stated")  # only bands converted from AMSL, AGL or feet have one
    return AltitudeBand(
        doc["lower_m"],
        doc["upper_m"],
        AltitudeReference(doc["reference"]),
        None if stated is None else _stated_from_json(stated),
    )


def window_to_json(window: TimeWindow) -> list[str]:
    return [window.start.isoformat(), window.end.isoformat()]


def window_from_json(doc: list[str]) -> TimeWindow:
    return TimeWindow(datetime.fromisoformat(doc[0]), datetime.fromisoformat(doc[1]))


def volume_to_json(volume: Volume4D) -> Json:
    return {
        "footprint": footprint_to_json(volume.footprint),
        "altitude": band_to_json(volume.altitude),
        "time": window_to_json(volume.time),
    }


def volume_from_json(doc: Json) -> Volume4D:
    return Volume4D(
        footprint_from_json(doc["footprint"]),
        band_from_json(doc["altitude"]),
        window_from_json(doc["time"]),
    )


def _overlap_to_json(overlap: Overlap) -> Json:
    return {"time": window_to_json(overlap.time), "altitude": band_to_json(overlap.altitude)}


def _overlap_from_json(doc: Json) -> Overlap:
    return Overlap(window_from_json(doc["time"]), band_from_json(doc["altitude"]))


def assessment_to_json(assessment: Assessment) -> Json:
    return {
        "conflicts": [
            {
                "kind": c.kind.value,
                "volume_index": c.volume_index,
                "subject_type": c.subject_type,
                "subject_id": c.subject_id,
                "party_id": c.party_id,
                "overlap": _overlap_to_json(c.overlap),
                "private": c.private,
            }
            for c in assessment.conflicts
        ],
        "required_reviews": [
            {"party_id": r.party_id, "agreement_id": r.agreement_id, "zone_ids": list(r.zone_ids)}
            for r in assessment.required_reviews
        ],
        "notices": [notice_to_json(n) for n in assessment.notices],
    }


def notice_to_json(n: NoticeTarget) -> Json:
    return {
        "party_id": n.party_id,
        "agreement_id": n.agreement_id,
        "zone_id": n.zone_id,
        "volume_index": n.volume_index,
        "overlap": _overlap_to_json(n.overlap),
        "outline": None if n.outline is None else footprint_to_json(n.outline),
        "private": n.private,
    }


def notice_from_json(doc: Json) -> NoticeTarget:
    outline = doc.get("outline")  # absent in assessments stored before revision 0003
    footprint = None if outline is None else footprint_from_json(outline)
    return NoticeTarget(
        doc["party_id"],
        doc["agreement_id"],
        doc["zone_id"],
        doc["volume_index"],
        _overlap_from_json(doc["overlap"]),
        footprint if isinstance(footprint, Polygon) else None,
        doc.get("private", False),  # absent before revision 0007
    )


def assessment_from_json(doc: Json) -> Assessment:
    return Assessment(
        conflicts=tuple(
            Conflict(
                ConflictKind(c["kind"]),
                c["volume_index"],
                c["subject_type"],
                c["subject_id"],
                c["party_id"],
                _overlap_from_json(c["overlap"]),
                c.get("private", False),  # absent before revision 0007
            )
            for c in doc["conflicts"]
        ),
        required_reviews=tuple(
            RequiredReview(r["party_id"], r["agreement_id"], tuple(r["zone_ids"]))
            for r in doc["required_reviews"]
        ),
        notices=tuple(notice_from_json(n) for n in doc["notices"]),
    )


def chain_to_json(chain: ReviewChain) -> Json:
    return {
        "stages": [
            {
                "name": s.name,
                "roles": list(s.roles),
                "rule": s.rule.value,
                "deadline_s": s.deadline_s,
                "on_deadline": s.on_deadline.value,
                "public_label": s.public_label,
            }
            for s in chain.stages
        ],
        "auto_approval": [
            {
                "name": r.name,
                "max_altitude_m": r.max_altitude_m,
                "outside_hours_utc": [list(h) for h in r.outside_hours_utc],
                "without_own_conflicts": r.without_own_conflicts,
            }
            for r in chain.auto_approval
        ],
    }


def chain_from_json(doc: Json) -> ReviewChain:
    return ReviewChain(
        stages=tuple(
            Stage(
                s["name"],
                tuple(s["roles"]),
                StageRule(s["rule"]),
                s["deadline_s"],
                DeadlineAction(s["on_deadline"]),
                s.get("public_label"),  # absent before revision 0007
            )
            for s in doc["stages"]
        ),
        auto_approval=tuple(
            AutoApprovalRule(
                r["name"],
                r["max_altitude_m"],
                tuple((int(a), int(b)) for a, b in r["outside_hours_utc"]),
                r["without_own_conflicts"],
            )
            for r in doc["auto_approval"]
        ),
    )


def conditions_to_json(c: Conditions | None) -> Json | None:
    if c is None:
        return None
    return {
        "text": c.text,
        "time": None if c.time is None else window_to_json(c.time),
        "altitude": None if c.altitude is None else band_to_json(c.altitude),
    }


def conditions_from_json(doc: Json | None) -> Conditions | None:
    if doc is None:
        return None
    return Conditions(
        doc["text"],
        None if doc["time"] is None else window_from_json(doc["time"]),
        None if doc["altitude"] is None else band_from_json(doc["altitude"]),
    )


def proposal_to_json(p: Proposal | None) -> Json | None:
    if p is None:
        return None
    return {"suggestion_id": p.suggestion_id, "volumes": [volume_to_json(v) for v in p.volumes]}


def proposal_from_json(doc: Json | None) -> Proposal | None:
    if doc is None:
        return None
    return Proposal(doc["suggestion_id"], tuple(volume_from_json(v) for v in doc["volumes"]))


def flexibility_to_json(f: Flexibility | None) -> Json | None:
    if f is None:
        return None
    return {
        "earliest_start": None if f.earliest_start is None else f.earliest_start.isoformat(),
        "latest_start": None if f.latest_start is None else f.latest_start.isoformat(),
        "lowest_m": f.lowest_m,
        "highest_m": f.highest_m,
    }


def flexibility_from_json(doc: Json | None) -> Flexibility | None:
    if doc is None:
        return None
    earliest, latest = doc["earliest_start"], doc["latest_start"]
    return Flexibility(
        None if earliest is None else datetime.fromisoformat(earliest),
        None if latest is None else datetime.fromisoformat(latest),
        doc["lowest_m"],
        doc["highest_m"],
    )


def imposed_to_json(conditions: tuple[ImposedConditions, ...]) -> list[Json] | None:
    return [
        {"party_id": x.party_id, "conditions": conditions_to_json(x.conditions)} for x in conditions
    ] or None


def imposed_from_json(doc: list[Json] | None) -> tuple[ImposedConditions, ...]:
    found = []
    for x in doc or ():
        conditions = conditions_from_json(x["conditions"])
        assert conditions is not None
        found.append(ImposedConditions(x["party_id"], conditions))
    return tuple(found)


# ---- The index's compact copy of a volume --------------------------------------------
#
# Candidate rows carry their volume in this form, so that a check decodes a few dozen
# bytes per candidate instead of a JSON document. It keeps what the exact test reads
# (footprint, band and datum, window to the microsecond), not the stated limits of a
# converted band, which only exports use (they read the operation's versions).

_HEAD = struct.Struct("<BBqqdd")  # kind, datum, start_us, end_us, lower_m, upper_m
_CIRCLE = struct.Struct("<ddd")  # lat, lng, radius_m
_COUNT = struct.Struct("<H")
_REFERENCES = tuple(AltitudeReference)
_REFERENCE_INDEX = {r: i for i, r in enumerate(_REFERENCES)}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def _micros(dt: datetime) -> int:
    return (dt - _EPOCH) // _US


def _ring_bytes(ring: tuple[LatLng, ...]) -> bytes:
    coordinates = [c for p in ring for c in (p.lat, p.lng)]
    return _COUNT.pack(len(ring)) + struct.pack(f"<{len(coordinates)}d", *coordinates)


def volume_to_bytes(volume: Volume4D) -> bytes:
    fp, band = volume.footprint, volume.altitude
    head = _HEAD.pack(
        0 if isinstance(fp, Circle) else 1,
        _REFERENCE_INDEX[band.reference],
        _micros(volume.time.start),
        _micros(volume.time.end),
        band.lower_m,
        band.upper_m,
    )
    if isinstance(fp, Circle):
        return head + _CIRCLE.pack(fp.center.lat, fp.center.lng, fp.radius_m)
    rings = (fp.exterior, *fp.holes)
    return head + _COUNT.pack(len(rings)) + b"".join(_ring_bytes(r) for r in rings)


def _ring_from(data: bytes, offset: int) -> tuple[tuple[LatLng, ...], int]:
    (n,) = _COUNT.unpack_from(data, offset)
    offset += _COUNT.size
    values = struct.unpack_from(f"<{2 * n}d", data, offset)
    points = tuple(LatLng(values[i], values[i + 1]) for i in range(0, 2 * n, 2))
    return points, offset + 16 * n


_DECODED: dict[bytes, Volume4D] = {}
#: Decoded volumes kept per process (a few hundred bytes each): a hot area's candidates
#: are decoded once, not at every check.
DECODED_MAX = 100_000


def volume_from_bytes(data: bytes) -> Volume4D:
    """The volume `volume_to_bytes` encoded (memoised: volumes are immutable values)."""
    hit = _DECODED.get(data)
    if hit is not None:
        return hit
    kind, reference, start_us, end_us, lower_m, upper_m = _HEAD.unpack_from(data)
    offset = _HEAD.size
    footprint: Footprint
    if kind == 0:
        lat, lng, radius_m = _CIRCLE.unpack_from(data, offset)
        footprint = Circle(LatLng(lat, lng), radius_m)
    else:
        (count,) = _COUNT.unpack_from(data, offset)
        offset += _COUNT.size
        rings = []
        for _ in range(count):
            ring, offset = _ring_from(data, offset)
            rings.append(ring)
        footprint = Polygon(rings[0], tuple(rings[1:]))
    volume = Volume4D(
        footprint,
        AltitudeBand(lower_m, upper_m, _REFERENCES[reference]),
        TimeWindow(_EPOCH + start_us * _US, _EPOCH + end_us * _US),
    )
    if len(_DECODED) >= DECODED_MAX:
        _DECODED.clear()
    _DECODED[bytes(data)] = volume
    return volume
