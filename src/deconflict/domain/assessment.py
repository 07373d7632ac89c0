"""Policy: what a set of volumes means for its submitter, given the candidates around it.

`assess` is the whole decision of the core service: refused (a restricted zone),
in review (a coordination partner's review zone), notices (partners' notify zones),
or approved. It is pure: the caller supplies candidates and relations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from .conflicts import Overlap, Projector, Separation, volumes_conflict
from .geometry import (
    FrameFactory,
    PlanarFootprint,
    center_of,
    footprint_center,
    overlap_outline,
    planar,
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
        p, q = _anchor(a), _anchor(b)
        if abs(p.lng - q.lng) > 180.0:  # across the antimeridian: averaging degrees fails
            mid = center_of((p, q))
            lat, lng = mid.lat, mid.lng
        else:
            lat, lng = (p.lat + q.lat) / 2, (p.lng + q.lng) / 2
        return LatLng(round(lat, self._GRID_DEG), round(lng, self._GRID_DEG))

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


def assess(
    volumes: Sequence[Volume4D],
    relations: Relations,
    zones: Iterable[Zone],
    operations: Iterable[OperationCandidate],
    frames: FrameFactory,
) -> Assessment:
    """Every conflict of `volumes` with the relevant zones and other parties' operations,
    and what follows from them under the submitter's agreements.

    Candidates may be a superset (e.g. from a cell index); each pair gets the exact test.
    """
    me = relations.party_id
    relevant_zones = [z for z in zones if relations.zone_matters(z)]
    others = [o for o in operations if o.party_id != me]
    conflicts: list[Conflict] = []
    reviews: dict[str, tuple[str, list[str]]] = {}
    notices: list[NoticeTarget] = []
    pairs = PairFrames(frames)
    for index, volume in enumerate(volumes):
        project = VolumeFrame(frames, volume)
        for zone in relevant_zones:
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
                    _, zone_ids = reviews.setdefault(zone.party_id, (agreement.id, []))
                    if zone.id not in zone_ids:
                        zone_ids.append(zone.id)
                elif zone.kind is ZoneKind.NOTIFY:
                    outline = project.outline(
                        volume.footprint, zone.footprint, separation.horizontal_m
                    )
                    notices.append(
                        NoticeTarget(
                            zone.party_id, agreement.id, zone.id, index, overlap, outline, private
                        )
                    )
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
    required = tuple(
        RequiredReview(party, agreement_id, tuple(zone_ids))
        for party, (agreement_id, zone_ids) in sorted(reviews.items())
    )
    return Assessment(tuple(conflicts), required, tuple(notices))
