"""Parties, agreements and zones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from deconflict.domain.model import (
    AgreementKind,
    ProposalAcceptance,
    Zone,
    ZoneDisclosure,
    ZoneKind,
)
from deconflict.services import audit as audit_log
from deconflict.services import registry
from deconflict.services.ports import UnitOfWork

from .. import converters as c
from .. import schemas as s
from ..deps import CallerDep, CtxDep, IdempotencyDep, PageDep, UowDep, located
from ..replies import idempotent

router = APIRouter(prefix="/v1")


@router.post("/parties", status_code=status.HTTP_201_CREATED, tags=["parties"])
def create_party(body: s.PartyCreate, uow: UowDep, ctx: CtxDep, caller: CallerDep) -> s.PartyPublic:
    """Registers a party (operator), optionally as an authority."""
    with located("body"):
        return c.party_to_api(
            registry.create_party(
                uow, ctx, caller, body.name, body.f3548_subjects, authority=body.authority
            )
        )


@router.put("/parties/{party_id}/authority", tags=["parties"])
def mark_authority(
    party_id: str, body: s.AuthorityUpdate, uow: UowDep, ctx: CtxDep, caller: CallerDep
) -> s.PartyPublic:
    """Marks a party as an authority, or no longer (operator). Its restricted zones with
    the default disclosure follow (public for an authority, partners otherwise)."""
    return c.party_to_api(registry.mark_authority(uow, ctx, caller, party_id, body.authority))


@router.get("/parties", tags=["parties"])
def list_parties(uow: UowDep, caller: CallerDep, page: PageDep) -> list[s.PartyPublic]:
    """Every party's id and name."""
    return [c.party_to_api(p) for p in registry.list_parties(uow, caller, page)]


@router.post("/agreements", status_code=status.HTTP_201_CREATED, tags=["agreements"])
def propose_agreement(
    body: s.AgreementCreate, uow: UowDep, ctx: CtxDep, caller: CallerDep
) -> s.AgreementPublic:
    """Proposes an agreement from the caller's party to a partner (admin); it binds once
    the partner accepts it."""
    command = registry.AgreementCreate(
        kind=AgreementKind(body.kind),
        partner_party_id=body.partner_party_id,
        separation=c.separation_from_api(body.separation),
        review_chain=c.chain_from_api(body.review_chain),
        proposal_acceptance=ProposalAcceptance(body.proposal_acceptance),
    )
    with located("body"):
        return c.agreement_to_api(
            registry.propose_agreement(uow, ctx, caller, command), caller.party_id
        )


@router.post("/agreements/{agreement_id}/accept", tags=["agreements"])
def accept_agreement(
    agreement_id: str, uow: UowDep, ctx: CtxDep, caller: CallerDep
) -> s.AgreementPublic:
    """The partner's admin accepts a proposed agreement."""
    return c.agreement_to_api(
        registry.accept_agreement(uow, ctx, caller, agreement_id), caller.party_id
    )


@router.get("/agreements", tags=["agreements"])
def list_agreements(uow: UowDep, caller: CallerDep, page: PageDep) -> list[s.AgreementPublic]:
    """The agreements the caller's party is part of."""
    return [
        c.agreement_to_api(a, caller.party_id) for a in registry.list_agreements(uow, caller, page)
    ]


@router.get("/agreements/{agreement_id}", tags=["agreements"])
def get_agreement(agreement_id: str, uow: UowDep, caller: CallerDep) -> s.AgreementPublic:
    return c.agreement_to_api(registry.get_agreement(uow, caller, agreement_id), caller.party_id)


@router.post(
    "/zones", status_code=status.HTTP_201_CREATED, tags=["zones"], response_model=s.ZonePublic
)
def create_zone(
    body: s.ZoneCreate, uow: UowDep, ctx: CtxDep, caller: CallerDep, key: IdempotencyDep
) -> JSONResponse:
    """Adds a zone of the caller's party (admin)."""
    footprint, band, periods = c.zone_parts_from_api(body, ctx)
    disclosure = None if body.disclosure is None else ZoneDisclosure(body.disclosure)
    command = registry.ZoneCreate(
        ZoneKind(body.kind), body.name, footprint, band, periods, disclosure
    )

    def write(u: UnitOfWork) -> Zone:
        with located("body"):
            return registry.create_zone(u, ctx, caller, command)

    return idempotent(
        uow,
        ctx,
        caller,
        key,
        write,
        Zone,
        lambda zone: c.zone_to_api(zone, caller.party_id),
        status.HTTP_201_CREATED,
    )


@router.get("/zones", tags=["zones"])
def list_zones(uow: UowDep, caller: CallerDep, page: PageDep) -> list[s.ZonePublic]:
    """Own zones, public zones, and active partners' `partners` zones (shape, band and
    active windows, without name)."""
    return [c.zone_to_api(z, caller.party_id) for z in registry.list_zones(uow, caller, page)]


@router.get("/zones/{zone_id}", tags=["zones"])
def get_zone(zone_id: str, uow: UowDep, caller: CallerDep) -> s.ZonePublic:
    return c.zone_to_api(registry.get_zone(uow, caller, zone_id), caller.party_id)


@router.delete("/zones/{zone_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["zones"])
def delete_zone(zone_id: str, uow: UowDep, ctx: CtxDep, caller: CallerDep) -> None:
    """Removes one of the caller's own zones (admin)."""
    registry.delete_zone(uow, ctx, caller, zone_id)


@router.get("/audit", tags=["audit"])
def audit(
    uow: UowDep,
    caller: CallerDep,
    page: PageDep,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[s.AuditPublic]:
    """Audit events about the caller's party, newest first (admin). Each carries the hash
    of the event before it in its object's chain: `deconflict audit verify` checks every
    chain and the anchors across them. Other parties' people appear only as their party."""
    return [c.audit_to_api(e) for e in audit_log.list_audit(uow, caller, page, object_id)]
