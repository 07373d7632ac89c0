"""The import service on the in-memory fakes: plans, idempotence, all or nothing, and the
limits it checks before any transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from deconflict.domain.errors import InvalidInput, StateConflict
from deconflict.domain.model import ZoneKind
from deconflict.domain.volumes import AltitudeReference, LatLng, Polygon, StatedBand, TimeWindow
from deconflict.services import interchange as exchange
from deconflict.services.context import ServiceContext
from deconflict.services.interchange import Change, Refusal, ZoneDraft, ZoneFile
from tests.fakes import FakeUnitOfWork

from .support import HERE, MAX_VERTICES, T0, World, admin, circle, square, unchanged


def _draft(source_id: str, **changes: object) -> ZoneDraft:
    draft = ZoneDraft(
        source_id=source_id,
        feature=source_id.split("#")[0],
        loc=("features", 0),
        kind=ZoneKind.NOTIFY,
        name=f"zone {source_id}",
        footprint=circle(),
        altitude=StatedBand(0, AltitudeReference.W84, 100, AltitudeReference.W84),
        periods=(),
        attributes={"authority": "Fictional Office"},
    )
    return replace(draft, **changes)  # type: ignore[arg-type]


def _file(*drafts: ZoneDraft, refusals: tuple[Refusal, ...] = ()) -> ZoneFile:
    return ZoneFile("ed269", drafts, refusals)


def test_a_first_import_creates_and_a_second_changes_nothing(world: World) -> None:
    owner = admin(world.alpha)
    file = _file(_draft("A"), _draft("B", kind=ZoneKind.RESTRICTED))
    first = exchange.import_zones(world.uow, world.ctx, owner, file)
    assert [e.change for e in first.entries] == [Change.CREATED, Change.CREATED]
    with unchanged(world.uow):
        second = exchange.import_zones(world.uow, world.ctx, owner, file, dry_run=True)
    assert [e.change for e in second.entries] == [Change.UNCHANGED, Change.UNCHANGED]
    assert world.uow.runs[-1] is False  # a dry run reads only


def test_an_update_names_the_fields_that_changed(world: World) -> None:
    owner = admin(world.alpha)
    exchange.import_zones(world.uow, world.ctx, owner, _file(_draft("A")))
    window = TimeWindow(T0, T0 + timedelta(hours=1))
    plan = exchange.import_zones(
        world.uow, world.ctx, owner, _file(_draft("A", periods=(window,), name="renamed"))
    )
    [entry] = plan.entries
    assert entry.change is Change.UPDATED
    assert entry.detail == "name, periods"


def test_refusals_fail_the_import_and_store_nothing(world: World) -> None:
    owner = admin(world.alpha)
    refusal = Refusal("C", ("features", 1, "geometry", 0, "lowerVerticalReference"), "AGL")
    with unchanged(world.uow), pytest.raises(exchange.ImportRefused) as failure:
        exchange.import_zones(world.uow, world.ctx, owner, _file(_draft("A"), refusals=(refusal,)))
    assert failure.value.problems == [(refusal.loc, "AGL")]


def test_a_skipped_feature_does_not_fail_the_import(world: World) -> None:
    owner = admin(world.alpha)
    skipped = Refusal("N", ("features", 1, "restriction"), "NO_RESTRICTION", skipped=True)
    plan = exchange.import_zones(
        world.uow, world.ctx, owner, _file(_draft("A"), refusals=(skipped,))
    )
    assert plan.applied
    assert plan.counts()[Change.SKIPPED] == 1


def test_a_footprint_over_the_vertex_limit_fails_before_any_transaction(
    uow: FakeUnitOfWork, ctx: ServiceContext, world: World
) -> None:
    runs = len(uow.runs)
    many = Polygon(
        tuple(
            LatLng(HERE.lat + 0.01 * (i % 2), HERE.lng + 0.001 * i) for i in range(MAX_VERTICES + 2)
        )
    )
    with pytest.raises(InvalidInput) as failure:
        exchange.import_zones(uow, ctx, admin(world.alpha), _file(_draft("A", footprint=many)))
    [(loc, msg)] = failure.value.problems
    assert loc == ("features", 0)
    assert "feature 'A'" in msg
    assert len(uow.runs) == runs


def test_too_many_active_periods_are_refused(world: World) -> None:
    periods = tuple(
        TimeWindow(T0 + timedelta(days=i), T0 + timedelta(days=i, hours=1))
        for i in range(exchange.MAX_PERIODS + 1)
    )
    with pytest.raises(InvalidInput, match="active periods exceed"):
        exchange.import_zones(
            world.uow, world.ctx, admin(world.alpha), _file(_draft("A", periods=periods))
        )


def test_an_unregistered_party_cannot_import(world: World) -> None:
    with unchanged(world.uow), pytest.raises(StateConflict):
        exchange.import_zones(world.uow, world.ctx, admin("nobody"), _file(_draft("A")))


def test_a_zone_made_here_is_matched_by_its_id(world: World) -> None:
    owner = admin(world.alpha)
    exchange.import_zones(world.uow, world.ctx, owner, _file(_draft("A")))
    [zone] = exchange.export_zones(world.uow, owner).zones
    native = replace(zone, source_id=None)
    world.uow.store.zones[zone.id] = native
    plan = exchange.import_zones(
        world.uow, world.ctx, owner, _file(_draft(zone.id, name=zone.name))
    )
    assert [e.change for e in plan.entries] == [Change.UNCHANGED]
    assert exchange.export_zones(world.uow, owner).zones == [native]


def test_the_parts_a_feature_lost_are_removed(world: World) -> None:
    owner = admin(world.alpha)
    exchange.import_zones(
        world.uow, world.ctx, owner, _file(_draft("M#1"), _draft("M#2", footprint=square()))
    )
    plan = exchange.import_zones(world.uow, world.ctx, owner, _file(_draft("M")))
    changes = {e.source_id: e.change for e in plan.entries}
    assert changes == {"M": Change.CREATED, "M#1": Change.REMOVED, "M#2": Change.REMOVED}
    assert [z.source_id for z in exchange.export_zones(world.uow, owner).zones] == ["M"]


W84, AMSL, AGL = AltitudeReference.W84, AltitudeReference.AMSL, AltitudeReference.AGL
LOCS = (("features", 0, "lowerVerticalReference"), ("features", 0, "upperVerticalReference"))


def test_limits_above_mean_sea_level_are_stored_above_wgs84_with_what_was_stated(
    world: World,
) -> None:
    owner = admin(world.alpha)
    stated = StatedBand(100, AMSL, 150, AMSL)
    exchange.import_zones(world.uow, world.ctx, owner, _file(_draft("A", altitude=stated)))
    [zone] = exchange.export_zones(world.uow, owner).zones
    # the geoid lies some 49 m above the ellipsoid here (47N 8E)
    assert 100 + 45 < zone.altitude.lower_m < 100 + 49 < 150 + 49 < zone.altitude.upper_m < 150 + 53
    assert zone.altitude.stated == stated


def test_agl_without_a_terrain_model_refuses_the_whole_feature_at_its_reference(
    world: World,
) -> None:
    owner = admin(world.alpha)
    agl = StatedBand(0, AGL, 120, AGL)
    parts = [_draft("M#1", altitude=agl, reference_locs=LOCS), _draft("M#2")]
    with unchanged(world.uow), pytest.raises(exchange.ImportRefused) as failure:
        exchange.import_zones(world.uow, world.ctx, owner, _file(*parts, _draft("B")))
    [(loc, message)] = failure.value.problems
    assert loc == LOCS[0]
    assert message.startswith("feature 'M': AGL (height above ground level)")
    later = _draft("N", altitude=agl, reference_locs=LOCS)
    plan = exchange.import_zones(
        world.uow, world.ctx, owner, _file(*parts, _draft("B"), later), skip_refused=True
    )
    assert [(e.change, e.source_id) for e in plan.entries] == [
        (Change.CREATED, "B"),
        (Change.REFUSED, "M"),  # in the file's order, once per feature
        (Change.REFUSED, "N"),
    ]


def test_a_band_empty_once_converted_fails_the_import_at_its_upper_limit(world: World) -> None:
    owner = admin(world.alpha)
    empty = StatedBand(200, W84, 120, AMSL)  # 120 m above a sea level 49 m up: below 200 m
    with unchanged(world.uow), pytest.raises(InvalidInput) as failure:
        exchange.import_zones(
            world.uow, world.ctx, owner, _file(_draft("E", altitude=empty, reference_locs=LOCS))
        )
    [(loc, message)] = failure.value.problems
    assert loc == LOCS[1]
    assert "must be above the lower limit" in message
