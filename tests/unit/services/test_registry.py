"""Parties, agreements and zones (services.registry) against the in-memory fakes."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta

import pytest

from deconflict.domain.conflicts import Separation
from deconflict.domain.errors import Forbidden, InvalidInput, NotFound, StateConflict
from deconflict.domain.model import AgreementKind, AgreementState, Caller, Role, ZoneKind
from deconflict.domain.volumes import AltitudeBand
from deconflict.services import registry
from deconflict.services.context import ServiceContext
from deconflict.services.ports import Page
from tests.fakes import FakeUnitOfWork

from .support import (
    MAX_AREA_KM2,
    ROOT,
    T0,
    World,
    admin,
    caller,
    circle,
    square,
    unchanged,
    window,
)

NOT_ADMIN = [Role.SUBMITTER, Role.REVIEWER, Role.OBSERVER]
#: Role sets without admin: none, each other role alone, all other roles together.
WITHOUT_ADMIN = [(), *((r,) for r in NOT_ADMIN), tuple(NOT_ADMIN)]

# ---- roles -----------------------------------------------------------------------------

#: Each admin action, prepared in a world: what remains is to call it as someone of alpha.
Prepared = Callable[[Caller], object]


def _create_party(world: World) -> Prepared:
    return lambda who: registry.create_party(world.uow, world.ctx, who, "Delta")


def _propose(world: World) -> Prepared:
    command = registry.AgreementCreate(AgreementKind.COORDINATION, world.bravo, None)
    return lambda who: registry.propose_agreement(world.uow, world.ctx, who, command)


def _accept(world: World) -> Prepared:
    proposed = world.agree(world.bravo, world.alpha, accept=False)
    return lambda who: registry.accept_agreement(world.uow, world.ctx, who, proposed.id)


def _create_zone(world: World) -> Prepared:
    command = registry.ZoneCreate(
        ZoneKind.REVIEW, "Range", circle(radius_m=1_000), AltitudeBand(0, 100), ()
    )
    return lambda who: registry.create_zone(world.uow, world.ctx, who, command)


def _delete_zone(world: World) -> Prepared:
    zone = world.zone(world.alpha, ZoneKind.REVIEW)
    return lambda who: registry.delete_zone(world.uow, world.ctx, who, zone.id)


ADMIN_ACTIONS: dict[str, Callable[[World], Prepared]] = {
    "propose_agreement": _propose,
    "accept_agreement": _accept,
    "create_zone": _create_zone,
    "delete_zone": _delete_zone,
}


@pytest.mark.parametrize("roles", WITHOUT_ADMIN, ids=lambda roles: "+".join(roles) or "none")
@pytest.mark.parametrize("action", ADMIN_ACTIONS)
def test_each_registry_change_is_forbidden_without_the_admin_role(
    world: World, action: str, roles: tuple[Role, ...]
) -> None:
    act = ADMIN_ACTIONS[action](world)
    with unchanged(world.uow), pytest.raises(Forbidden, match="admin"):
        act(caller(world.alpha, *roles))


@pytest.mark.parametrize("action", ADMIN_ACTIONS)
def test_each_registry_change_is_allowed_to_an_admin(world: World, action: str) -> None:
    act = ADMIN_ACTIONS[action](world)
    commits = world.uow.commits
    act(admin(world.alpha))
    assert world.uow.commits == commits + 1


@pytest.mark.parametrize(
    "roles", [*WITHOUT_ADMIN, (Role.ADMIN,)], ids=lambda roles: "+".join(roles) or "none"
)
def test_registering_a_party_is_the_operators_alone(world: World, roles: tuple[Role, ...]) -> None:
    act = _create_party(world)
    with unchanged(world.uow), pytest.raises(Forbidden, match="operator"):
        act(caller(world.alpha, *roles))
    act(caller("deployment", Role.OPERATOR))
    assert [p.name for p in registry.list_parties(world.uow, admin(world.alpha), Page())] == [
        "Alpha",
        "Bravo",
        "Charlie",
        "Delta",
    ]


def test_reading_the_registry_needs_any_one_role(world: World) -> None:
    nobody = caller(world.alpha, "a_stage_role")
    assert len(registry.list_parties(world.uow, nobody, Page())) == 3
    assert registry.list_agreements(world.uow, nobody, Page()) == []
    assert registry.list_zones(world.uow, nobody, Page()) == []


# ---- parties ---------------------------------------------------------------------------


def test_a_party_is_registered_with_a_new_id_the_clock_and_its_trimmed_name(
    uow: FakeUnitOfWork, ctx: ServiceContext
) -> None:
    party = registry.create_party(uow, ctx, ROOT, "  Alpha Air  ")
    assert party.name == "Alpha Air"
    assert party.id == "id-0001"
    assert party.created_at.tzinfo is not None
    assert uow.store.parties == {party.id: party}


def test_a_duplicate_party_name_is_a_state_conflict_and_stores_nothing(world: World) -> None:
    with unchanged(world.uow), pytest.raises(StateConflict, match="Alpha"):
        registry.create_party(world.uow, world.ctx, ROOT, " Alpha ")


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_a_blank_party_name_is_invalid_before_any_transaction(
    uow: FakeUnitOfWork, ctx: ServiceContext, name: str
) -> None:
    with unchanged(uow), pytest.raises(InvalidInput) as raised:
        registry.create_party(uow, ctx, ROOT, name)
    assert [loc for loc, _ in raised.value.problems] == [("name",)]
    assert uow.runs == []


def test_parties_are_listed_by_name_a_page_at_a_time(world: World) -> None:
    registry.create_party(world.uow, world.ctx, ROOT, "Aardvark")
    everyone = registry.list_parties(world.uow, admin(world.alpha), Page())
    assert [p.name for p in everyone] == ["Aardvark", "Alpha", "Bravo", "Charlie"]
    page = registry.list_parties(world.uow, admin(world.alpha), Page(limit=2, offset=1))
    assert [p.name for p in page] == ["Alpha", "Bravo"]
    assert world.uow.runs[-2:] == [False, False]


# ---- agreements ------------------------------------------------------------------------


def test_a_proposed_agreement_binds_nobody_until_accepted(world: World) -> None:
    separation = Separation(200, 20, 120)
    proposed = world.agree(
        world.alpha, world.bravo, AgreementKind.DECONFLICTION, separation, accept=False
    )
    assert proposed.state is AgreementState.PROPOSED
    assert (proposed.proposer_party_id, proposed.partner_party_id) == (world.alpha, world.bravo)
    assert proposed.separation == separation
    assert world.uow.store.agreements == {proposed.id: proposed}
    assert world.uow.run(lambda tx: tx.agreements.active_of_party(world.alpha)) == []


def test_the_partner_accepts_and_the_agreement_becomes_active(world: World) -> None:
    proposed = world.agree(world.alpha, world.bravo, accept=False)
    accepted = registry.accept_agreement(world.uow, world.ctx, admin(world.bravo), proposed.id)
    assert accepted.state is AgreementState.ACTIVE
    assert world.uow.store.agreements[proposed.id] == accepted
    assert (
        registry.get_agreement(world.uow, caller(world.alpha, Role.OBSERVER), proposed.id)
        == accepted
    )


def test_the_proposer_cannot_accept_its_own_proposal(world: World) -> None:
    proposed = world.agree(world.alpha, world.bravo, accept=False)
    with unchanged(world.uow), pytest.raises(StateConflict, match="partner"):
        registry.accept_agreement(world.uow, world.ctx, admin(world.alpha), proposed.id)


def test_an_unrelated_party_cannot_see_or_accept_an_agreement(world: World) -> None:
    proposed = world.agree(world.alpha, world.bravo, accept=False)
    with unchanged(world.uow), pytest.raises(NotFound):
        registry.accept_agreement(world.uow, world.ctx, admin(world.charlie), proposed.id)
    with pytest.raises(NotFound):
        registry.get_agreement(world.uow, admin(world.charlie), proposed.id)
    assert registry.list_agreements(world.uow, admin(world.charlie), Page()) == []


def test_accepting_an_unknown_agreement_is_not_found(world: World) -> None:
    with unchanged(world.uow), pytest.raises(NotFound):
        registry.accept_agreement(world.uow, world.ctx, admin(world.bravo), "no-such-agreement")


def test_an_agreement_is_accepted_only_once(world: World) -> None:
    agreement = world.agree(world.alpha, world.bravo)
    with unchanged(world.uow), pytest.raises(StateConflict, match="already"):
        registry.accept_agreement(world.uow, world.ctx, admin(world.bravo), agreement.id)


@pytest.mark.parametrize("accepted", [False, True], ids=["proposed", "active"])
@pytest.mark.parametrize("reverse", [False, True], ids=["same-way", "other-way"])
def test_a_second_agreement_between_the_same_parties_is_refused(
    world: World, accepted: bool, reverse: bool
) -> None:
    world.agree(world.alpha, world.bravo, accept=accepted)
    proposer, partner = (world.bravo, world.alpha) if reverse else (world.alpha, world.bravo)
    with unchanged(world.uow), pytest.raises(StateConflict, match="already binds"):
        world.agree(proposer, partner, AgreementKind.DECONFLICTION, accept=False)


def test_agreements_with_other_parties_do_not_block_a_new_one(world: World) -> None:
    world.agree(world.alpha, world.charlie)
    world.agree(world.bravo, world.charlie)
    agreement = world.agree(world.alpha, world.bravo)
    assert agreement.state is AgreementState.ACTIVE


def test_an_agreement_with_an_unknown_partner_is_invalid_and_stores_nothing(
    world: World,
) -> None:
    with unchanged(world.uow), pytest.raises(InvalidInput) as raised:
        world.agree(world.alpha, "no-such-party", accept=False)
    assert [loc for loc, _ in raised.value.problems] == [("partner_party_id",)]


def test_an_agreement_with_oneself_is_invalid_and_stores_nothing(world: World) -> None:
    with unchanged(world.uow), pytest.raises(InvalidInput) as raised:
        world.agree(world.alpha, world.alpha, accept=False)
    assert [loc for loc, _ in raised.value.problems] == [("partner_party_id",)]


def test_an_unregistered_party_cannot_propose(world: World) -> None:
    with unchanged(world.uow), pytest.raises(StateConflict, match="not registered"):
        world.agree("ghost", world.bravo, accept=False)


def test_each_party_lists_the_agreements_it_is_part_of_oldest_first(world: World) -> None:
    first = world.agree(world.alpha, world.bravo)
    second = world.agree(world.charlie, world.alpha, accept=False)
    other = world.agree(world.bravo, world.charlie)
    listed = registry.list_agreements(world.uow, caller(world.alpha, Role.OBSERVER), Page())
    assert [a.id for a in listed] == [first.id, second.id]
    assert [
        a.id
        for a in registry.list_agreements(world.uow, caller(world.charlie, Role.OBSERVER), Page())
    ] == [
        second.id,
        other.id,
    ]
    paged = registry.list_agreements(
        world.uow, caller(world.alpha, Role.OBSERVER), Page(limit=1, offset=1)
    )
    assert [a.id for a in paged] == [second.id]


# ---- zones -----------------------------------------------------------------------------


def test_a_zone_belongs_to_the_callers_party(world: World) -> None:
    periods = (window(T0), window(T0 + timedelta(days=1)))
    zone = world.zone(world.alpha, ZoneKind.NOTIFY, square(), periods=periods, name="Field")
    assert (zone.party_id, zone.kind, zone.name, zone.periods) == (
        world.alpha,
        ZoneKind.NOTIFY,
        "Field",
        periods,
    )
    assert world.uow.store.zones == {zone.id: zone}


def test_a_zone_beyond_the_area_limit_is_invalid_before_any_transaction(world: World) -> None:
    radius_m = math.sqrt(MAX_AREA_KM2 * 1e6 / math.pi) * 1.1
    runs = list(world.uow.runs)
    with unchanged(world.uow), pytest.raises(InvalidInput) as raised:
        world.zone(world.alpha, ZoneKind.REVIEW, circle(radius_m=radius_m))
    assert [loc for loc, _ in raised.value.problems] == [("footprint",)]
    assert world.uow.runs == runs


def test_an_unregistered_party_cannot_add_a_zone(world: World) -> None:
    with unchanged(world.uow), pytest.raises(StateConflict, match="not registered"):
        world.zone("ghost", ZoneKind.REVIEW)


def test_a_party_sees_its_own_its_active_partners_and_all_restricted_zones(
    world: World,
) -> None:
    world.agree(world.alpha, world.bravo, AgreementKind.DECONFLICTION)
    world.agree(world.charlie, world.alpha, accept=False)  # not active: no visibility
    own = world.zone(world.alpha, ZoneKind.NOTIFY)
    partners = world.zone(world.bravo, ZoneKind.REVIEW)
    restricted = world.zone(world.charlie, ZoneKind.RESTRICTED)
    hidden = world.zone(world.charlie, ZoneKind.REVIEW)

    listed = registry.list_zones(world.uow, caller(world.alpha, Role.OBSERVER), Page())
    assert [z.id for z in listed] == [own.id, partners.id, restricted.id]
    for zone in (own, partners, restricted):
        assert registry.get_zone(world.uow, caller(world.alpha, Role.OBSERVER), zone.id) == zone
    with pytest.raises(NotFound):
        registry.get_zone(world.uow, caller(world.alpha, Role.OBSERVER), hidden.id)
    paged = registry.list_zones(
        world.uow, caller(world.alpha, Role.OBSERVER), Page(limit=1, offset=2)
    )
    assert [z.id for z in paged] == [restricted.id]


def test_an_unrelated_partys_review_zone_is_not_found(world: World) -> None:
    zone = world.zone(world.charlie, ZoneKind.REVIEW)
    with pytest.raises(NotFound):
        registry.get_zone(world.uow, caller(world.alpha, Role.OBSERVER), zone.id)
    with pytest.raises(NotFound):
        registry.get_zone(world.uow, caller(world.alpha, Role.OBSERVER), "no-such-zone")


def test_a_party_deletes_its_own_zone(world: World) -> None:
    zone = world.zone(world.alpha, ZoneKind.REVIEW)
    kept = world.zone(world.alpha, ZoneKind.NOTIFY)
    registry.delete_zone(world.uow, world.ctx, admin(world.alpha), zone.id)
    assert list(world.uow.store.zones) == [kept.id]
    with pytest.raises(NotFound):
        registry.get_zone(world.uow, caller(world.alpha, Role.OBSERVER), zone.id)


@pytest.mark.parametrize("kind", [ZoneKind.REVIEW, ZoneKind.RESTRICTED])
def test_a_zone_the_caller_may_see_but_not_own_cannot_be_deleted(
    world: World, kind: ZoneKind
) -> None:
    world.agree(world.alpha, world.bravo)
    zone = world.zone(world.bravo, kind)
    with unchanged(world.uow), pytest.raises(StateConflict, match="owning party"):
        registry.delete_zone(world.uow, world.ctx, admin(world.alpha), zone.id)


def test_deleting_a_zone_the_caller_may_not_see_is_not_found(world: World) -> None:
    zone = world.zone(world.charlie, ZoneKind.REVIEW)
    with unchanged(world.uow), pytest.raises(NotFound):
        registry.delete_zone(world.uow, world.ctx, admin(world.alpha), zone.id)
    with unchanged(world.uow), pytest.raises(NotFound):
        registry.delete_zone(world.uow, world.ctx, admin(world.alpha), "no-such-zone")
