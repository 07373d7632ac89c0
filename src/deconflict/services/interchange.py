"""Zones in and out of files: a bulk import that first makes a plan, and exports.

The parsers (`adapters/interchange`: ED-269, GeoJSON, KML) turn a file into a
`ZoneFile`: the zones it describes (`ZoneDraft`), and the features that are well formed
but cannot be stored (`Refusal`: an AGL limit, a sunrise schedule) or are left out on
purpose (NO_RESTRICTION). A file that is not well formed never gets here: its parser
raises InvalidInput naming the feature and the field.

`import_zones` matches each draft with the caller's party's zones by identifier
(`Zone.source_id`; a zone made here matches by its own id), so a second import of the
same file changes nothing and a changed file updates zones in place. The plan says what
happens to each: created, updated, unchanged, removed (a part of a multi-part feature
that the file no longer has), skipped or refused. The whole import is one transaction:
all of it is stored, with an audit event per zone, or nothing is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from deconflict.domain.errors import InvalidInput, Loc, StateConflict
from deconflict.domain.geometry import FrameFactory, LocalFrame, check_footprint
from deconflict.domain.heights import Unconvertible, to_w84
from deconflict.domain.model import Caller, Party, Zone, ZoneKind, default_disclosure
from deconflict.domain.operation import Operation
from deconflict.domain.volumes import AltitudeBand, Footprint, LatLng, StatedBand, TimeWindow

from .access import Action, authorize
from .audit import draft, record
from .context import ServiceContext
from .ports import Page, Transaction, UnitOfWork

#: Most active periods one zone may have (a daily schedule over about three years).
MAX_PERIODS = 1_000
#: Zones written per batch of rows (and per step of the progress bar).
BATCH = 1_000
#: Most problems one failed import reports.
MAX_PROBLEMS = 100

#: Called as `progress(step, done, total)` while an import validates and stores.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class ZoneDraft:
    """One zone as a file describes it.

    `feature` is the identifier of the feature it comes from; a multi-part feature gives
    one draft per part, with `source_id` `<feature>#<n>`, a single part `<feature>`.
    `loc` is where the feature is in the file, for messages; `altitude` is the band as
    the file states it (converted to WGS 84 by the import), `reference_locs` where its
    lower and upper references are.
    """

    source_id: str
    feature: str
    loc: Loc
    kind: ZoneKind
    name: str
    footprint: Footprint
    altitude: StatedBand
    periods: tuple[TimeWindow, ...]
    attributes: Mapping[str, Any] = field(default_factory=dict, hash=False)
    reference_locs: tuple[Loc, Loc] = ((), ())


@dataclass(frozen=True, slots=True)
class Refusal:
    """A well-formed feature that is not imported: `loc` goes down to the field, and
    `reason` names the feature. `skipped` ones are left out on purpose (NO_RESTRICTION
    zones restrict nothing) and never fail an import."""

    source_id: str
    loc: Loc
    reason: str
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class ZoneFile:
    """What a parser read from a file."""

    format: str
    drafts: tuple[ZoneDraft, ...]
    refusals: tuple[Refusal, ...] = ()


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REMOVED = "removed"
    SKIPPED = "skipped"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """What the import does (or would do) with one zone or feature. `detail` says why a
    feature is skipped or refused, or which fields an update changes."""

    change: Change
    source_id: str
    name: str = ""
    kind: ZoneKind | None = None
    zone_id: str | None = None
    detail: str = ""
    loc: Loc = ()


@dataclass(frozen=True, slots=True)
class ImportPlan:
    party_id: str
    format: str
    entries: tuple[PlanEntry, ...]
    dry_run: bool
    applied: bool

    def counts(self) -> dict[Change, int]:
        found = Counter(e.change for e in self.entries)
        return {c: found[c] for c in Change}

    @property
    def refused(self) -> list[PlanEntry]:
        return [e for e in self.entries if e.change is Change.REFUSED]


class ImportRefused(InvalidInput):
    """Some features cannot be represented and the caller did not ask to skip them:
    nothing was stored. `plan` is what would have happened."""

    def __init__(self, plan: ImportPlan) -> None:
        super().__init__([(e.loc, e.detail) for e in plan.refused][:MAX_PROBLEMS])
        self.plan = plan


def _check_identifiers(file: ZoneFile) -> None:
    seen: dict[str, int] = {}
    problems: list[tuple[Loc, str]] = []
    for i, zone in enumerate(file.drafts):
        first = seen.setdefault(zone.source_id, i)
        if first != i:
            where = ".".join(map(str, file.drafts[first].loc))
            problems.append(
                (zone.loc, f"identifier {zone.source_id!r} is used twice (first at {where})")
            )
    if problems:
        raise InvalidInput(problems[:MAX_PROBLEMS])


def _gridded(frames: FrameFactory) -> FrameFactory:
    """Frames centred on a 0.25 degree grid rather than on each footprint.

    Building a projection costs more than checking a footprint in it, and the zones of a
    large file are spread wide: frames shared by nearby footprints make validation a few
    times faster. A frame some 20 km off a footprint's centre changes its distances by
    about 1e-5 of themselves (an azimuthal equidistant frame is true along the radius),
    nothing that decides whether a polygon is simple or within the area limit.
    """

    def frame(center: LatLng) -> LocalFrame:
        return frames(LatLng(round(center.lat * 4) / 4, round(center.lng * 4) / 4))

    return frame


def _validate(drafts: Sequence[ZoneDraft], ctx: ServiceContext, progress: Progress) -> None:
    """Every footprint simple and within the limits, every zone within MAX_PERIODS; all
    problems at once (up to MAX_PROBLEMS), each located at its feature."""
    problems: list[tuple[Loc, str]] = []
    frames = _gridded(ctx.frames)
    for i, zone in enumerate(drafts):
        if len(problems) >= MAX_PROBLEMS:
            break
        try:
            check_footprint(zone.footprint, frames, ctx.limits.footprint)
        except InvalidInput as e:
            problems.extend(
                (zone.loc, f"feature {zone.source_id!r}: {'.'.join(map(str, loc))}: {msg}")
                for loc, msg in e.problems
            )
        if len(zone.periods) > MAX_PERIODS:
            problems.append(
                (
                    zone.loc,
                    f"feature {zone.source_id!r}: {len(zone.periods)} active periods exceed "
                    f"the maximum of {MAX_PERIODS}",
                )
            )
        if i % BATCH == BATCH - 1:
            progress("validating", i + 1, len(drafts))
    progress("validating", len(drafts), len(drafts))
    if problems:
        raise InvalidInput(problems[:MAX_PROBLEMS])


#: Which of a draft's `reference_locs` a problem `domain.heights.to_w84` names is at.
_LIMIT_FIELDS = {
    "altitude_lower_reference": 0,
    "altitude_lower_m": 0,
    "altitude_upper_reference": 1,
    "altitude_upper_m": 1,
}


def _limit_loc(draft: ZoneDraft, loc: Loc) -> Loc:
    return draft.reference_locs[_LIMIT_FIELDS.get(str(loc[0]), 1)] if loc else draft.loc


def _to_w84(
    drafts: Sequence[ZoneDraft], ctx: ServiceContext
) -> tuple[list[tuple[ZoneDraft, AltitudeBand]], list[Refusal]]:
    """Each draft with its band above WGS 84 (`domain.heights.to_w84`). A feature with a
    part no model here can convert (AGL without a terrain model, outside it) is refused
    whole, at the reference's field; a band that is empty once converted fails the
    import."""
    bands: list[AltitudeBand | None] = []
    refused: dict[str, list[Refusal]] = {}
    problems: list[tuple[Loc, str]] = []
    for d in drafts:
        try:
            bands.append(to_w84(d.altitude, d.footprint, ctx.heights))
            continue
        except Unconvertible as e:
            refused.setdefault(d.feature, []).extend(
                Refusal(
                    d.feature,
                    _limit_loc(d, loc),
                    f"feature {d.feature!r}: {msg}",
                )
                for loc, msg in e.problems
            )
        except InvalidInput as e:
            problems.extend(
                (_limit_loc(d, loc), f"feature {d.source_id!r}: {msg}") for loc, msg in e.problems
            )
        bands.append(None)
    if problems:
        raise InvalidInput(problems[:MAX_PROBLEMS])
    kept = [
        (d, band)
        for d, band in zip(drafts, bands, strict=True)
        if band is not None and d.feature not in refused
    ]
    # one refusal per feature and reason, in file order: a band with both limits AGL
    # names its lower one
    unique: dict[tuple[str, str], Refusal] = {}
    for found in refused.values():
        for r in found:
            unique.setdefault((r.source_id, r.reason), r)
    return kept, list(unique.values())


_COMPARED = ("kind", "name", "footprint", "altitude", "periods", "attributes")


@dataclass(slots=True)
class _Work:
    entries: list[PlanEntry] = field(default_factory=list)
    created: list[Zone] = field(default_factory=list)
    updated: list[tuple[Zone, Zone]] = field(default_factory=list)  # (before, after)
    removed: list[Zone] = field(default_factory=list)


def _plan(
    file: ZoneFile,
    converted: Sequence[tuple[ZoneDraft, AltitudeBand]],
    refusals: Sequence[Refusal],
    existing: Sequence[Zone],
    ctx: ServiceContext,
    owner: Party,
) -> _Work:
    by_source = {z.source_id: z for z in existing if z.source_id is not None}
    by_id = {z.id: z for z in existing if z.source_id is None}
    work = _Work()
    matched: set[str] = set()
    now = ctx.clock()
    for d, band in converted:
        before = by_source.get(d.source_id) or by_id.get(d.source_id)
        if before is None:
            zone = Zone(
                id=ctx.new_id(),
                party_id=owner.id,
                kind=d.kind,
                name=d.name,
                footprint=d.footprint,
                altitude=band,
                periods=d.periods,
                created_at=now,
                source_id=d.source_id,
                attributes=dict(d.attributes),
                disclosure=default_disclosure(d.kind, owner.authority),
            )
            work.created.append(zone)
            work.entries.append(PlanEntry(Change.CREATED, d.source_id, d.name, d.kind, zone.id))
            continue
        matched.add(before.id)
        after = replace(
            before,
            kind=d.kind,
            name=d.name,
            footprint=d.footprint,
            altitude=band,
            periods=d.periods,
            attributes=dict(d.attributes),
        )
        changed = [f for f in _COMPARED if getattr(before, f) != getattr(after, f)]
        if changed:
            work.updated.append((before, after))
        work.entries.append(
            PlanEntry(
                Change.UPDATED if changed else Change.UNCHANGED,
                d.source_id,
                d.name,
                d.kind,
                before.id,
                ", ".join(changed),
            )
        )
    features = {d.feature for d, _ in converted}
    for zone in existing:
        sid = zone.source_id
        if sid is None or zone.id in matched:
            continue
        if sid in features or sid.rpartition("#")[0] in features:
            work.removed.append(zone)
            work.entries.append(
                PlanEntry(
                    Change.REMOVED,
                    sid,
                    zone.name,
                    zone.kind,
                    zone.id,
                    "a part of its feature that the file no longer has",
                )
            )
    for r in (*file.refusals, *refusals):
        change = Change.SKIPPED if r.skipped else Change.REFUSED
        work.entries.append(PlanEntry(change, r.source_id, detail=r.reason, loc=r.loc))
    return work


@dataclass(frozen=True, slots=True)
class _ImportSummary:
    format: str
    counts: tuple[tuple[str, int], ...]


def _noop(step: str, done: int, total: int) -> None:
    return None


def import_zones(
    uow: UnitOfWork,
    ctx: ServiceContext,
    caller: Caller,
    file: ZoneFile,
    *,
    dry_run: bool = False,
    skip_refused: bool = False,
    progress: Progress | None = None,
) -> ImportPlan:
    """Imports the zones of a file into the caller's party (`POST /v1/zones:import`,
    `deconflict zones import`); admins only.

    A dry run returns the plan and stores nothing. Otherwise refused features fail the
    whole import (ImportRefused, nothing stored) unless `skip_refused`; then everything
    else is stored in one transaction, with a `zone.created|updated|deleted` audit event
    per zone and one `zones.imported` event for the whole."""
    authorize(caller, Action.ZONE_CREATE)
    report = progress or _noop
    _check_identifiers(file)
    _validate(file.drafts, ctx, report)
    converted, refusals = _to_w84(file.drafts, ctx)

    def work(tx: Transaction) -> ImportPlan:
        owner = tx.parties.get(caller.party_id)
        if owner is None:
            raise StateConflict(f"the caller's party {caller.party_id} is not registered")
        existing = tx.zones.of_party(caller.party_id)
        done = _plan(file, converted, refusals, existing, ctx, owner)
        plan = ImportPlan(caller.party_id, file.format, tuple(done.entries), dry_run, False)
        if dry_run:
            return plan
        if plan.refused and not skip_refused:
            raise ImportRefused(plan)
        if done.removed:
            authorize(caller, Action.ZONE_DELETE)
        total = len(done.created) + len(done.updated) + len(done.removed)
        written = 0
        report("storing", 0, total)
        for start in range(0, len(done.created), BATCH):
            batch = done.created[start : start + BATCH]
            tx.zones.add_many(batch)
            tx.audit.append_many([draft(ctx, caller, "zone.created", z, z.id) for z in batch])
            written += len(batch)
            report("storing", written, total)
        for start in range(0, len(done.updated), BATCH):
            pairs = done.updated[start : start + BATCH]
            tx.zones.save_many([after for _, after in pairs])
            tx.audit.append_many(
                [draft(ctx, caller, "zone.updated", a, a.id, before=b) for b, a in pairs]
            )
            written += len(pairs)
            report("storing", written, total)
        for zone in done.removed:
            tx.zones.delete(zone.id)
            record(tx, ctx, caller, "zone.deleted", zone, zone.id)
            written += 1
        report("storing", written, total)
        summary = _ImportSummary(file.format, tuple((c.value, n) for c, n in plan.counts().items()))
        record(tx, ctx, caller, "zones.imported", summary, ctx.new_id(), object_type="import")
        return replace(plan, applied=True)

    return uow.run(work, write=not dry_run)


@dataclass(frozen=True, slots=True)
class ZoneExport:
    party: Party
    zones: list[Zone]


def export_zones(uow: UnitOfWork, caller: Caller) -> ZoneExport:
    """The caller's party's own zones, oldest first (`GET /v1/zones:export`, `deconflict
    zones export`). Never partners' or other parties' restricted zones, although the
    caller may list them: an export is for republishing or importing again, and a zone
    imported becomes the importer's own."""
    authorize(caller, Action.READ)

    def work(tx: Transaction) -> ZoneExport:
        party = tx.parties.get(caller.party_id)
        if party is None:
            raise StateConflict(f"the caller's party {caller.party_id} is not registered")
        return ZoneExport(party, tx.zones.of_party(caller.party_id))

    return uow.run(work, write=False)


def export_operations(uow: UnitOfWork, caller: Caller, page_size: int = 500) -> list[Operation]:
    """Every operation of the caller's party, newest first, with its versions (`deconflict
    operations export`, `GET /v1/operations:export`)."""
    authorize(caller, Action.READ)

    def work(tx: Transaction) -> list[Operation]:
        found: list[Operation] = []
        while True:
            page = tx.operations.of_party(caller.party_id, Page(page_size, len(found)))
            found.extend(page)
            if len(page) < page_size:
                return found

    return uow.run(work, write=False)
