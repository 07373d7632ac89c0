"""Policy: what a set of volumes means for its submitter, given the candidates around it.

`assess` is the whole decision of the core service: refused (a restricted zone),
in review (a coordination partner's review zone), notices (partners' notify zones),
or approved. It is pure: the caller supplies candidates and relations.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from .conflicts import (
    Overlap,
    Projector,
    Separation,
    altitude_overlap,
    time_overlap,
    trusted_band,
    trusted_window,
    volumes_conflict,
)
from .geometry import (
    FrameFactory,
    PlanarFootprint,
    center_of,
    footprint_center,
    footprints_conflict_many,
    overlap_outline,
    planar,
    planar_cached,
)
from .model import Agreement, AgreementKind, OperationState, Zone, ZoneDisclosure, ZoneKind
from .volumes import Circle, Footprint, LatLng, Polygon, Volume4D


class ConflictKind(StrEnum):
    RESTRICTED_ZONE = "restricted_zone"
    REVIEW_ZONE = "review_zone"
    NOTIFY_ZONE = "notify_zone"
    OPERATION = "operation"


_ZONE_CONFLICT = {
    ZoneKind.RESTRICTED: ConflictKind.RESTRICTED_ZONE,
    ZoneKind.REVIEW: ConflictKind.REVIEW_ZONE,
    ZoneKind.NOTIFY: ConflictKind.NOTIFY_ZONE,
}


@dataclass(frozen=True, slots=True)
class OperationCandidate:
    """Another party's operation that counts: its id, owner and current volumes."""

    id: str
    party_id: str
    volumes: tuple[Volume4D, ...]


@dataclass(frozen=True, slots=True)
class Conflict:
    """One 4D overlap between submitted volume `volume_index` and a zone or operation."""

    kind: ConflictKind
    volume_index: int
    subject_type: str  # "zone" or "operation"
    subject_id: str | None
    party_id: str | None
    overlap: Overlap
    #: A zone its owner discloses to nobody (`private`).
    private: bool = False

    def seen_by(self, viewer_party_id: str) -> Conflict:
        """Need-to-know: another party's operation is shown only as 'an operation',
        with the overlapping window and band, never its identity or owner; another
        party's private zone only as 'a zone of that party'."""
        if self.party_id == viewer_party_id:
            return self
        if self.subject_type == "operation":
            return replace(self, subject_id=None, party_id=None)
        if self.private:
            return replace(self, subject_id=None)
        return self


@dataclass(frozen=True, slots=True)
class RequiredReview:
    """A coordination partner that must review, and the review zones that require it."""

    party_id: str
    agreement_id: str
    zone_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NoticeTarget:
    """A partner to notify: its zone entered, by which volume, when, how high and where
    (`outline`: the part of the zone the volume comes near, when it can be drawn)."""

    party_id: str
    agreement_id: str
    zone_id: str
    volume_index: int
    overlap: Overlap
    outline: Polygon | None = None
    #: The zone is private: the submitter is not told which zone it is ("" as seen by it).
    private: bool = False


@dataclass(frozen=True, slots=True)
class Assessment:
    conflicts: tuple[Conflict, ...]
    required_reviews: tuple[RequiredReview, ...]
    notices: tuple[NoticeTarget, ...]

    def seen_by(self, viewer_party_id: str, owner_party_id: str | None = None) -> Assessment:
        """What `viewer_party_id` may see of the assessment of `owner_party_id`'s plan
        (the viewer's own, when no owner is given): the owner sees every conflict, with
        other parties' operations anonymous; anyone else (a reviewer) sees only what
        concerns itself: its zones, its operations, its reviews and notices."""
        if owner_party_id is None or owner_party_id == viewer_party_id:
            hidden = self.private_zone_ids()
            return replace(
                self,
                conflicts=tuple(c.seen_by(viewer_party_id) for c in self.conflicts),
                required_reviews=tuple(
                    replace(r, zone_ids=tuple(z for z in r.zone_ids if z not in hidden))
                    for r in self.required_reviews
                ),
                notices=tuple(replace(n, zone_id="") if n.private else n for n in self.notices),
            )
        return Assessment(
            conflicts=tuple(c for c in self.conflicts if c.party_id == viewer_party_id),
            required_reviews=tuple(
                r for r in self.required_reviews if r.party_id == viewer_party_id
            ),
            notices=tuple(n for n in self.notices if n.party_id == viewer_party_id),
        )

    def private_zone_ids(self) -> frozenset[str]:
        """The private zones this assessment met (their owners' to know about)."""
        return frozenset(
            c.subject_id for c in self.conflicts if c.private and c.subject_id is not None
        )

    @property
    def refused(self) -> bool:
        return any(c.kind is ConflictKind.RESTRICTED_ZONE for c in self.conflicts)

    @property
    def state(self) -> OperationState:
        """Where a stored submission lands (a refused one is never stored)."""
        return OperationState.IN_REVIEW if self.required_reviews else OperationState.APPROVED


@dataclass(frozen=True, slots=True)
class Relations:
    """The submitting party's active agreements, by partner, and the default minima."""

    party_id: str
    agreements: Mapping[str, Agreement]
    default_separation: Separation
    #: Parties marked as authorities: their public restricted zones bind everyone.
    authorities: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        party_id: str,
        agreements: Iterable[Agreement],
        default: Separation,
        authorities: Iterable[str] = (),
    ) -> Relations:
        return cls(
            party_id, {a.other(party_id): a for a in agreements}, default, frozenset(authorities)
        )

    def separation_with(self, party_id: str) -> Separation:
        agreement = self.agreements.get(party_id)
        if agreement is not None and agreement.separation is not None:
            return agreement.separation
        return self.default_separation

    def widest_separation(self) -> Separation:
        """The largest minimum in each dimension: what a candidate search must reach."""
        all_minima = [self.default_separation] + [
            a.separation for a in self.agreements.values() if a.separation is not None
        ]
        return Separation(
            max(s.horizontal_m for s in all_minima),
            max(s.vertical_m for s in all_minima),
            max(s.time_s for s in all_minima),
        )

    def zone_matters(self, zone: Zone) -> bool:
        """A restricted zone binds a party only when that party may see it: agreement
        partners (unless private) and, for an authority's public zones, everyone. Review
        zones bind coordination partners; notify zones concern any partner. Other
        parties' other zones are not the submitter's business (nor visible to it)."""
        if zone.party_id == self.party_id:
            return False
        agreement = self.agreements.get(zone.party_id)
        if zone.kind is ZoneKind.RESTRICTED:
            if agreement is not None:
                return zone.visible_to(self.party_id, self.agreements)
            return zone.party_id in self.authorities and zone.visible_to(self.party_id, ())
        if agreement is None:
            return False
        return zone.kind is ZoneKind.NOTIFY or agreement.kind is AgreementKind.COORDINATION


class VolumeFrame:
    """Memoised projection of footprints into the local frame of one volume."""

    def __init__(self, frames: FrameFactory, volume: Volume4D) -> None:
        self._frame = frames(footprint_center(volume.footprint))
        self._cache: dict[int, tuple[Footprint, PlanarFootprint]] = {}

    def __call__(self, footprint: Footprint) -> PlanarFootprint:
        hit = self._cache.get(id(footprint))
        if hit is None:
            # Keep the footprint alive beside its projection so that its id stays unique.
            hit = self._cache[id(footprint)] = (footprint, planar(footprint, self._frame))
        return hit[1]

    def outline(self, a: Footprint, b: Footprint, separation_m: float) -> Polygon | None:
        """See `geometry.overlap_outline`, in this frame."""
        return overlap_outline(self(a), self(b), separation_m, self._frame)


class PairFrames:
    """Projects each pair of footprints into a frame chosen by the pair alone, so that
    the exact test of a pair gives the same answer whichever party checks (in the frame
    of the checked volume, a projection's small errors would fall on the checker's
    side). The frame is centred between a point of each footprint (a circle's centre, a
    polygon's first vertex), on a 0.1 degree grid so that nearby pairs share frames;
    any point near both serves, as edges are densified in whichever frame. Frames and
    projections are memoised for the whole check."""

    _GRID_DEG = 1

    def __init__(self, frames: FrameFactory) -> None:
        self._frames = frames
        self._planar: dict[tuple[int, LatLng], tuple[Footprint, PlanarFootprint]] = {}

    def origin(self, a: Footprint, b: Footprint) -> LatLng:
        """The pair's frame centre: the same for (a, b) and (b, a)."""
        return LatLng(*_origin(_anchor(a), _anchor(b)))

    def planar(self, footprint: Footprint, origin: LatLng) -> PlanarFootprint:
        key = (id(footprint), origin)
        hit = self._planar.get(key)
        if hit is None:
            # Keep the footprint alive beside its projection so that its id stays unique.
            hit = self._planar[key] = (footprint, planar(footprint, self._frames(origin)))
        return hit[1]

    def projector(self, a: Footprint, b: Footprint) -> Projector:
        """Projects `a` and `b` (only they are asked for) into their pair's frame, which
        is found on the first call: most pairs are settled by time or altitude first."""
        origin: list[LatLng] = []

        def project(footprint: Footprint) -> PlanarFootprint:
            if not origin:
                origin.append(self.origin(a, b))
            return self.planar(footprint, origin[0])

        return project


def _anchor(footprint: Footprint) -> LatLng:
    return footprint.center if isinstance(footprint, Circle) else footprint.exterior[0]


#: Decimals of the pair frames' grid (0.1 degree).
_GRID_DEG = PairFrames._GRID_DEG


def _origin(p: LatLng, q: LatLng) -> tuple[float, float]:
    """`PairFrames.origin` of footprints anchored at `p` and `q`, as (lat, lng)."""
    if abs(p.lng - q.lng) > 180.0:  # across the antimeridian: averaging degrees fails
        mid = center_of((p, q))
        lat, lng = mid.lat, mid.lng
    else:
        lat, lng = (p.lat + q.lat) / 2, (p.lng + q.lng) / 2
    return round(lat, _GRID_DEG), round(lng, _GRID_DEG)


class _OperationScan:
    """The operation half of `assess`, deciding the same pairs as `volumes_conflict` in
    `PairFrames`, the same way, but in bulk: time and altitude with plain comparisons
    (exact, not merely conservative), then the footprints of all pairs left, projected
    together frame by frame (`planar_cached`) and tested together
    (`footprints_conflict_many`). Result objects are made for conflicts only.

    `scan` runs per submitted volume, in `assess`'s order, and raises what
    `volumes_conflict` would (mixed datums) where it would; `conflicts` decides the
    footprints of every pair scanned and gives the conflicts of each volume in order."""

    def __init__(
        self, relations: Relations, operations: Iterable[OperationCandidate], frames: FrameFactory
    ) -> None:
        me = relations.party_id
        separations: dict[str, Separation] = {}
        entries: list[tuple[OperationCandidate, Volume4D, Separation]] = []
        for operation in operations:
            if operation.party_id == me:
                continue
            separation = separations.get(operation.party_id)
            if separation is None:
                separation = separations[operation.party_id] = relations.separation_with(
                    operation.party_id
                )
            for other in operation.volumes:
                entries.append((operation, other, separation))
        self._entries = entries
        self._frames = frames
        #: Pairs that overlap in time and altitude: (volume index, entry index).
        self._pairs: list[tuple[int, int]] = []
        self._volumes: list[Volume4D] = []
        #: Entry indices by start time, the starts, and the longest entry (built for a
        #: second volume: a plan of many volumes looks only at the entries near each).
        self._by_start: tuple[list[int], list[datetime], timedelta] | None = None

    def scan(self, index: int, volume: Volume4D) -> None:
        """Finds the entries that overlap `volume` in time and altitude."""
        self._volumes.append(volume)
        entries = self._entries
        a_time, a_band = volume.time, volume.altitude
        a_start, a_end = a_time.start, a_time.end
        a_lower, a_upper, a_reference = a_band.lower_m, a_band.upper_m, a_band.reference
        # Per time separation: the window an entry must enter, (lo, hi), or None where
        # padding leaves the datetime range (`time_overlap` decides those).
        bounds: dict[float, tuple[datetime, datetime] | None] = {}
        ks: Iterable[int] = range(len(entries))
        if index > 0 and len(entries) > 8:
            ks = self._near(a_start, a_end)
        pairs = self._pairs
        for k in ks:
            _, other, separation = entries[k]
            time_s = separation.time_s
            if time_s in bounds:
                bound = bounds[time_s]
            else:
                pad = timedelta(seconds=time_s)
                try:
                    bound = bounds[time_s] = (a_start - pad, a_end + pad)
                except OverflowError:
                    bound = bounds[time_s] = None
            b_time = other.time
            if bound is None:
                if time_overlap(a_time, b_time, time_s) is None:
                    continue
            # `time_overlap` overlaps exactly when b starts before hi and ends after lo.
            elif not (b_time.start < bound[1] and b_time.end > bound[0]):
                continue
            b_band = other.altitude
            if b_band.reference != a_reference:
                altitude_overlap(a_band, b_band, separation.vertical_m)  # raises
            vertical_m = separation.vertical_m
            if max(a_lower - vertical_m, b_band.lower_m) < min(
                a_upper + vertical_m, b_band.upper_m
            ):
                pairs.append((index, k))

    def _near(self, a_start: datetime, a_end: datetime) -> list[int]:
        """The entries, in order, that may come within the widest time separation of
        [a_start, a_end): those starting before its end and less than the longest entry
        before its start (all of them where that leaves the datetime range)."""
        entries = self._entries
        if self._by_start is None:
            order = sorted(range(len(entries)), key=lambda k: entries[k][1].time.start)
            starts = [entries[k][1].time.start for k in order]
            longest = max(e[1].time.end - e[1].time.start for e in entries)
            self._by_start = (order, starts, longest)
        order, starts, longest = self._by_start
        pad = timedelta(seconds=max(e[2].time_s for e in entries))
        try:
            first = bisect_right(starts, a_start - pad - longest)
        except OverflowError:
            first = 0
        try:
            last = bisect_left(starts, a_end + pad)
        except OverflowError:
            last = len(starts)
        return sorted(order[first:last])

    def conflicts(self) -> list[list[Conflict]]:
        """The operation conflicts of each scanned volume, in `assess`'s order."""
        out: list[list[Conflict]] = [[] for _ in self._volumes]
        if not self._pairs:
            return out
        entries, volumes = self._entries, self._volumes
        anchors: dict[int, LatLng] = {}
        a_anchors = [_anchor(v.footprint) for v in volumes]
        # The frame centre of each pair, and each frame's footprints (by identity).
        by_origin: dict[tuple[float, float], dict[int, Footprint]] = {}
        origins: list[tuple[float, float]] = []
        for index, k in self._pairs:
            a = volumes[index].footprint
            b = entries[k][1].footprint
            q = anchors.get(k)
            if q is None:
                q = anchors[k] = _anchor(b)
            origin = _origin(a_anchors[index], q)
            origins.append(origin)
            needed = by_origin.get(origin)
            if needed is None:
                needed = by_origin[origin] = {}
            needed[id(a)] = a
            needed[id(b)] = b
        flat: dict[tuple[tuple[float, float], int], PlanarFootprint] = {}
        for origin, needed in by_origin.items():
            footprints = list(needed.values())
            made = planar_cached(footprints, self._frames(LatLng(*origin)))
            for footprint, planar_footprint in zip(footprints, made, strict=True):
                flat[(origin, id(footprint))] = planar_footprint
        tests = [
            (
                flat[(origin, id(volumes[index].footprint))],
                flat[(origin, id(entries[k][1].footprint))],
                entries[k][2].horizontal_m,
            )
            for (index, k), origin in zip(self._pairs, origins, strict=True)
        ]
        for (index, k), hit in zip(self._pairs, footprints_conflict_many(tests), strict=True):
            if hit:
                operation, other, separation = entries[k]
                out[index].append(
                    Conflict(
                        ConflictKind.OPERATION,
                        index,
                        "operation",
                        operation.id,
                        operation.party_id,
                        _overlap(volumes[index], other, separation),
                    )
                )
        return out


def _overlap(a: Volume4D, b: Volume4D, separation: Separation) -> Overlap:
    """`volumes_conflict`'s overlap of a pair known to overlap in time and altitude:
    the same arithmetic as `time_overlap` and `altitude_overlap`, without re-checking
    what valid windows and bands already guarantee (`trusted_window`)."""
    pad = timedelta(seconds=separation.time_s)
    a_time, b_time = a.time, b.time
    # `time_overlap`'s very expressions: where they would overflow, `scan` already has.
    window = trusted_window(
        b_time.start if a_time.start - b_time.start <= pad else a_time.start - pad,
        b_time.end if b_time.end - a_time.end <= pad else a_time.end + pad,
    )
    a_band, b_band = a.altitude, b.altitude
    vertical_m = separation.vertical_m
    band = trusted_band(
        max(a_band.lower_m - vertical_m, b_band.lower_m),
        min(a_band.upper_m + vertical_m, b_band.upper_m),
        b_band.reference,
    )
    return Overlap(window, band)


class _ZoneTally:
    """What the zones met by the volumes mean: conflicts, required reviews, notices."""

    def __init__(self, relations: Relations, zones: Iterable[Zone], frames: FrameFactory):
        self._relations = relations
        self._zones = [z for z in zones if relations.zone_matters(z)]
        self._frames = frames
        self.reviews: dict[str, tuple[str, list[str]]] = {}
        self.notices: list[NoticeTarget] = []

    def meet(self, index: int, volume: Volume4D, pairs: PairFrames) -> list[Conflict]:
        """The zone conflicts of volume `index` (reviews and notices are tallied)."""
        relations, conflicts = self._relations, []
        project: VolumeFrame | None = None
        for zone in self._zones:
            separation = relations.separation_with(zone.party_id)
            in_pair = pairs.projector(volume.footprint, zone.footprint)
            for zone_volume in zone.volumes():
                overlap = volumes_conflict(volume, zone_volume, separation, in_pair)
                if overlap is None:
                    continue
                private = zone.disclosure is ZoneDisclosure.PRIVATE
                conflicts.append(
                    Conflict(
                        _ZONE_CONFLICT[zone.kind],
                        index,
                        "zone",
                        zone.id,
                        zone.party_id,
                        overlap,
                        private,
                    )
                )
                agreement = relations.agreements.get(zone.party_id)
                if agreement is None:
                    continue
                if zone.kind is ZoneKind.REVIEW:
                    _, zone_ids = self.reviews.setdefault(zone.party_id, (agreement.id, []))
                    if zone.id not in zone_ids:
                        zone_ids.append(zone.id)
                elif zone.kind is ZoneKind.NOTIFY:
                    if project is None:
                        project = VolumeFrame(self._frames, volume)
                    outline = project.outline(
                        volume.footprint, zone.footprint, separation.horizontal_m
                    )
                    self.notices.append(
                        NoticeTarget(
                            zone.party_id, agreement.id, zone.id, index, overlap, outline, private
                        )
                    )
        return conflicts

    def assessment(self, conflicts: list[Conflict]) -> Assessment:
        required = tuple(
            RequiredReview(party, agreement_id, tuple(zone_ids))
            for party, (agreement_id, zone_ids) in sorted(self.reviews.items())
        )
        return Assessment(tuple(conflicts), required, tuple(self.notices))


def assess(
    volumes: Sequence[Volume4D],
    relations: Relations,
    zones: Iterable[Zone],
    operations: Iterable[OperationCandidate],
    frames: FrameFactory,
) -> Assessment:
    """Every conflict of `volumes` with the relevant zones and other parties' operations,
    and what follows from them under the submitter's agreements.

    Candidates may be a superset (e.g. from a spatial index); each pair gets the exact
    test. Zone conflicts of a volume come before its operation conflicts.
    """
    tally = _ZoneTally(relations, zones, frames)
    operations_scan = _OperationScan(relations, operations, frames)
    pairs = PairFrames(frames)
    zone_conflicts = []
    for index, volume in enumerate(volumes):
        zone_conflicts.append(tally.meet(index, volume, pairs))
        operations_scan.scan(index, volume)
    conflicts: list[Conflict] = []
    for of_zones, of_operations in zip(zone_conflicts, operations_scan.conflicts(), strict=True):
        conflicts.extend(of_zones)
        conflicts.extend(of_operations)
    return tally.assessment(conflicts)


def assess_pairwise(
    volumes: Sequence[Volume4D],
    relations: Relations,
    zones: Iterable[Zone],
    operations: Iterable[OperationCandidate],
    frames: FrameFactory,
) -> Assessment:
    """`assess` one pair at a time (`volumes_conflict` in `PairFrames`): the reference
    that `assess`'s bulk test of operations is held to (tests/unit/domain)."""
    others = [o for o in operations if o.party_id != relations.party_id]
    tally = _ZoneTally(relations, zones, frames)
    pairs = PairFrames(frames)
    conflicts: list[Conflict] = []
    for index, volume in enumerate(volumes):
        conflicts.extend(tally.meet(index, volume, pairs))
        for operation in others:
            separation = relations.separation_with(operation.party_id)
            for other in operation.volumes:
                in_pair = pairs.projector(volume.footprint, other.footprint)
                overlap = volumes_conflict(volume, other, separation, in_pair)
                if overlap is not None:
                    conflicts.append(
                        Conflict(
                            ConflictKind.OPERATION,
                            index,
                            "operation",
                            operation.id,
                            operation.party_id,
                            overlap,
                        )
                    )
    return tally.assessment(conflicts)
