"""Parties, agreements and zones: the slowly changing registry that checks run against."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from deconflict.domain.chain import ReviewChain
from deconflict.domain.conflicts import Separation
from deconflict.domain.errors import InvalidInput, NotFound, StateConflict
from deconflict.domain.geometry import check_footprint
from deconflict.domain.model import (
    Agreement,
    AgreementKind,
    AgreementState,
    Caller,
    Party,
    ProposalAcceptance,
    Zone,
    ZoneDisclosure,
    ZoneKind,
    default_disclosure,
)
from deconflict.domain.volumes import AltitudeBand, Footprint, TimeWindow

from .access import Action, authorize
from .audit import record
from .context import ServiceContext
from .ports import Page, Transaction, UnitOfWork


def create_party(
    uow: UnitOfWork,
    ctx: ServiceContext,
    caller: Caller,
    name: str,
    f3548_subjects: Sequence[str] = (),
    *,
    authority: bool = False,
) -> Party:
    """Registers a new party (`POST /v1/parties`); the operator only; names are unique,
    and so are the token subjects of the USSs acting for it on /dss/v1
    (`f3548_subjects`). An `authority`'s public restricted zones bind every party."""
    authorize(caller, Action.PARTY_CREATE)
    name = name.strip()
    if not name:
        raise InvalidInput.at(("name",), "a party needs a name")

    def work(tx: Transaction) -> Party:
        if tx.parties.by_name(name) is not None:
            raise StateConflict(f"a party named {name!r} exists already")
        for subject in f3548_subjects:
            if tx.f3548.party_of(subject) is not None:
                raise StateConflict(f"the subject {subject!r} acts for another party already")
        party = Party(ctx.new_id(), name, ctx.clock(), authority)
        tx.parties.add(party)
        if f3548_subjects:
            tx.f3548.set_subjects(party.id, sorted(set(f3548_subjects)))
        record(tx, ctx, caller, "party.created", party, party.id, parties=[party.id])
        return party

    return uow.run(work)


def mark_authority(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, party_id: str, authority: bool
) -> Party:
    """The operator marks a registered party as an authority, or no longer
    (`PUT /v1/parties/{id}/authority`). Its restricted zones that kept the default
    disclosure follow: `partners` ones become `public` when it becomes an authority, and
    `public` ones `partners` when it stops being one; each change is audited."""
    authorize(caller, Action.PARTY_AUTHORITY)

    def work(tx: Transaction) -> Party:
        before = tx.parties.get(party_id)
        if before is None:
            raise NotFound(f"no party {party_id}")
        if before.authority is authority:
            return before
        party = replace(before, authority=authority)
        tx.parties.save(party)
        record(
            tx, ctx, caller, "party.authority", party, party.id, before=before, parties=[party.id]
        )
        was = default_disclosure(ZoneKind.RESTRICTED, before.authority)
        now = default_disclosure(ZoneKind.RESTRICTED, authority)
        changed = [
            (zone, replace(zone, disclosure=now))
            for zone in tx.zones.of_party(party_id)
            if zone.kind is ZoneKind.RESTRICTED and zone.disclosure is was
        ]
        tx.zones.save_many([after for _, after in changed])
        for zone, after in changed:
            record(
                tx, ctx, caller, "zone.disclosed", after, after.id, before=zone, parties=[party_id]
            )
        return party

    return uow.run(work)


def list_parties(uow: UnitOfWork, caller: Caller, page: Page) -> list[Party]:
    """Every party's id and name (`GET /v1/parties`): needed to propose agreements."""
    authorize(caller, Action.READ)
    return uow.run(lambda tx: tx.parties.listing(page), write=False)


@dataclass(frozen=True, slots=True)
class AgreementCreate:
    kind: AgreementKind
    partner_party_id: str
    separation: Separation | None
    review_chain: ReviewChain | None = None
    proposal_acceptance: ProposalAcceptance = ProposalAcceptance.APPROVE


def propose_agreement(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, command: AgreementCreate
) -> Agreement:
    """The caller's party proposes an agreement to a partner (`POST /v1/agreements`).

    It binds nobody until the partner's admin accepts it."""
    authorize(caller, Action.AGREEMENT_PROPOSE)

    def work(tx: Transaction) -> Agreement:
        if tx.parties.get(caller.party_id) is None:
            raise StateConflict(f"the caller's party {caller.party_id} is not registered")
        if tx.parties.get(command.partner_party_id) is None:
            raise InvalidInput.at(("partner_party_id",), "no such party")
        for existing in tx.agreements.of_party(caller.party_id, Page(limit=10_000)):
            if command.partner_party_id in existing.party_ids:
                raise StateConflict(
                    f"agreement {existing.id} already binds these parties ({existing.state})"
                )
        agreement = Agreement(
            id=ctx.new_id(),
            kind=command.kind,
            proposer_party_id=caller.party_id,
            partner_party_id=command.partner_party_id,
            state=AgreementState.PROPOSED,
            separation=command.separation,
            created_at=ctx.clock(),
            review_chain=command.review_chain,
            proposal_acceptance=command.proposal_acceptance,
        )
        tx.agreements.add(agreement)
        record(
            tx,
            ctx,
            caller,
            "agreement.proposed",
            agreement,
            agreement.id,
            parties=agreement.party_ids,
        )
        return agreement

    return uow.run(work)


def accept_agreement(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, agreement_id: str
) -> Agreement:
    """The partner's admin accepts a proposed agreement (`POST /v1/agreements/{id}/accept`)."""
    authorize(caller, Action.AGREEMENT_ACCEPT)

    def work(tx: Transaction) -> Agreement:
        agreement = tx.agreements.get(agreement_id)
        if agreement is None or caller.party_id not in agreement.party_ids:
            raise NotFound(f"no agreement {agreement_id}")
        if caller.party_id != agreement.partner_party_id:
            raise StateConflict("only the partner that was proposed to can accept")
        accepted = agreement.accepted()
        tx.agreements.save(accepted)
        record(
            tx,
            ctx,
            caller,
            "agreement.accepted",
            accepted,
            accepted.id,
            before=agreement,
            parties=accepted.party_ids,
        )
        return accepted

    return uow.run(work)


def list_agreements(uow: UnitOfWork, caller: Caller, page: Page) -> list[Agreement]:
    """The agreements the caller's party is part of (`GET /v1/agreements`)."""
    authorize(caller, Action.READ)
    return uow.run(lambda tx: tx.agreements.of_party(caller.party_id, page), write=False)


def get_agreement(uow: UnitOfWork, caller: Caller, agreement_id: str) -> Agreement:
    """One agreement of the caller's party (`GET /v1/agreements/{id}`), else NotFound."""
    authorize(caller, Action.READ)

    def work(tx: Transaction) -> Agreement:
        agreement = tx.agreements.get(agreement_id)
        if agreement is None or caller.party_id not in agreement.party_ids:
            raise NotFound(f"no agreement {agreement_id}")
        return agreement

    return uow.run(work, write=False)


@dataclass(frozen=True, slots=True)
class ZoneCreate:
    kind: ZoneKind
    name: str
    footprint: Footprint
    altitude: AltitudeBand
    periods: tuple[TimeWindow, ...]
    #: None: `public` for an authority's restricted zone, `partners` otherwise.
    disclosure: ZoneDisclosure | None = None


def create_zone(uow: UnitOfWork, ctx: ServiceContext, caller: Caller, command: ZoneCreate) -> Zone:
    """Adds a zone owned by the caller's party (`POST /v1/zones`); admins only. Without a
    disclosure, an authority's restricted zone is `public` and any other `partners`."""
    authorize(caller, Action.ZONE_CREATE)
    check_footprint(command.footprint, ctx.frames, ctx.limits.footprint)

    def work(tx: Transaction) -> Zone:
        owner = tx.parties.get(caller.party_id)
        if owner is None:
            raise StateConflict(f"the caller's party {caller.party_id} is not registered")
        disclosure = command.disclosure or default_disclosure(command.kind, owner.authority)
        zone = Zone(
            id=ctx.new_id(),
            party_id=caller.party_id,
            kind=command.kind,
            name=command.name,
            footprint=command.footprint,
            altitude=command.altitude,
            periods=command.periods,
            created_at=ctx.clock(),
            disclosure=disclosure,
        )
        tx.zones.add(zone)
        record(tx, ctx, caller, "zone.created", zone, zone.id)
        return zone

    return uow.run(work)


def _partners(tx: Transaction, party_id: str) -> list[str]:
    return [a.other(party_id) for a in tx.agreements.active_of_party(party_id)]


def visible_zone(tx: Transaction, party_id: str, zone_id: str) -> Zone | None:
    """The zone if `party_id` may see it (its own, a public one, an active partner's
    `partners` one), else None: the one rule for reading a zone; its name only where
    `Zone.named_to` says."""
    zone = tx.zones.get(zone_id)
    if zone is None:
        return None
    return zone if zone.visible_to(party_id, _partners(tx, party_id)) else None


def _visible_zone(tx: Transaction, caller: Caller, zone_id: str) -> Zone:
    zone = visible_zone(tx, caller.party_id, zone_id)
    if zone is None:
        raise NotFound(f"no zone {zone_id}")
    return zone


def list_zones(uow: UnitOfWork, caller: Caller, page: Page) -> list[Zone]:
    """Own zones, public zones and active partners' `partners` zones (`GET /v1/zones`);
    the route shows others' non-public zones without name or properties."""
    authorize(caller, Action.READ)
    return uow.run(
        lambda tx: tx.zones.visible_to(caller.party_id, _partners(tx, caller.party_id), page),
        write=False,
    )


def get_zone(uow: UnitOfWork, caller: Caller, zone_id: str) -> Zone:
    """One zone the caller may see (`GET /v1/zones/{id}`), else NotFound."""
    authorize(caller, Action.READ)
    return uow.run(lambda tx: _visible_zone(tx, caller, zone_id), write=False)


def delete_zone(uow: UnitOfWork, ctx: ServiceContext, caller: Caller, zone_id: str) -> None:
    """Removes one of the caller's own zones (`DELETE /v1/zones/{id}`); admins only."""
    authorize(caller, Action.ZONE_DELETE)

    def work(tx: Transaction) -> None:
        zone = _visible_zone(tx, caller, zone_id)
        if zone.party_id != caller.party_id:
            raise StateConflict("only the owning party can delete a zone")
        if tx.f3548.constraints_of_zones([zone_id]):
            raise StateConflict(
                f"zone {zone_id} holds an ASTM F3548 constraint reference: delete it "
                "through /dss/v1"
            )
        tx.zones.delete(zone_id)
        record(tx, ctx, caller, "zone.deleted", zone, zone.id)

    uow.run(work)
