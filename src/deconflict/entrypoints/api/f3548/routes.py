"""`/dss/v1`: the ASTM F3548-21 DSS endpoints, with the standard's security table.

Each route names the scope sets that admit it (any one set, all of its scopes); a
token without any of them is 403, a missing or bad token or an empty scope 401.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import text

from deconflict.adapters.tokens import InvalidToken
from deconflict.domain.errors import Forbidden
from deconflict.domain.f3548 import Availability, Manager, MissingOvns, UssAvailability
from deconflict.domain.f3548 import Scope as S
from deconflict.services import f3548 as svc

from ..deps import ContainerDep
from . import converters as c
from . import schemas as s

_bearer = HTTPBearer(auto_error=False, description="An access token of the UTM authority")

ScopeSets = tuple[frozenset[S], ...]
#: Entity and subscription ids are UUIDs (the standard asks for version 4).
EntityId = Annotated[
    str,
    Path(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        description="A UUID",
    ),
]


def _admit(*alternatives: tuple[S, ...]) -> Callable[..., Manager]:
    required: ScopeSets = tuple(frozenset(a) for a in alternatives)

    def manager(
        container: ContainerDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Manager:
        if credentials is None:
            raise InvalidToken("a bearer token is required (Authorization: Bearer <token>)")
        claims = container.verifier.claims(credentials.credentials)
        scope = claims.get("scope")
        scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
        if not scopes:
            raise InvalidToken("invalid bearer token: no 'scope' claim granting any scope")
        if not any(needed <= scopes for needed in required):
            raise Forbidden(
                "the token's scopes do not admit this request; it needs one of: "
                + " | ".join(" + ".join(sorted(n)) for n in required)
            )
        return svc.resolve_manager(
            container.uow,
            container.ctx,
            str(claims["sub"]),
            scopes,
            container.settings.f3548_register_unknown,
        )

    return manager


OirRead = Annotated[
    Manager, Depends(_admit((S.STRATEGIC_COORDINATION,), (S.CONFORMANCE_MONITORING_SA,)))
]
OirWrite = Annotated[
    Manager,
    Depends(
        _admit(
            (S.STRATEGIC_COORDINATION,),
            (S.STRATEGIC_COORDINATION, S.CONSTRAINT_PROCESSING),
            (S.CONFORMANCE_MONITORING_SA,),
        )
    ),
]
CstrRead = Annotated[
    Manager, Depends(_admit((S.CONSTRAINT_MANAGEMENT,), (S.CONSTRAINT_PROCESSING,)))
]
CstrWrite = Annotated[Manager, Depends(_admit((S.CONSTRAINT_MANAGEMENT,)))]
Subscriber = Annotated[
    Manager, Depends(_admit((S.CONSTRAINT_PROCESSING,), (S.STRATEGIC_COORDINATION,)))
]
Reporter = Annotated[Manager, Depends(_admit(*((scope,) for scope in S)))]
Arbiter = Annotated[Manager, Depends(_admit((S.AVAILABILITY_ARBITRATION,)))]
AvailabilityReader = Annotated[
    Manager,
    Depends(
        _admit(
            (S.AVAILABILITY_ARBITRATION,),
            (S.STRATEGIC_COORDINATION,),
            (S.CONFORMANCE_MONITORING_SA,),
        )
    ),
]

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": s.ErrorResponsePublic, "description": text}
    for code, text in (
        (400, "One or more input parameters were missing or invalid"),
        (401, "No valid bearer access token"),
        (403, "The token's scopes do not admit the request, or another manager's entity"),
        ("4XX", "Any other error, in the same shape"),
    )
}

router = APIRouter(prefix="/dss/v1", tags=["ASTM F3548-21 DSS"], responses=ERRORS)


@router.get("/healthy", response_class=PlainTextResponse)
def healthy(container: ContainerDep) -> str:
    """Liveness of the DSS API (no token needed): `ok` once the database answers."""
    with container.uow.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return "ok"


# ---- operational intent references -------------------------------------------------


def _conflict(error: MissingOvns, manager: Manager, request: Request) -> JSONResponse:
    container = request.app.state.container
    managers = {i.manager for i in error.intents} | {x.manager for x in error.constraints}
    availability = container.uow.run(lambda tx: svc.availabilities(tx, managers), write=False)
    body = s.AirspaceConflictPublic(
        message=str(error),
        missing_operational_intents=[
            c.intent_to_f3548(i, manager.subject, availability[i.manager]) for i in error.intents
        ],
        missing_constraints=[
            c.constraint_to_f3548(x, manager.subject, availability[x.manager])
            for x in error.constraints
        ],
    )
    return JSONResponse(status_code=409, content=body.model_dump(mode="json", exclude_none=True))


def _change(change: svc.IntentChange, manager: Manager) -> s.ChangeOperationalIntentReferencePublic:
    return s.ChangeOperationalIntentReferencePublic(
        subscribers=c.subscribers_to_f3548(change.subscribers),
        operational_intent_reference=c.intent_to_f3548(
            change.intent, manager.subject, change.availability
        ),
    )


@router.post(
    "/operational_intent_references/query",
    response_model=s.QueryOperationalIntentReferencesPublic,
    response_model_exclude_none=True,
)
def query_operational_intent_references(
    body: s.QueryCreate, manager: OirRead, container: ContainerDep
) -> s.QueryOperationalIntentReferencesPublic:
    """Every operational intent reference meeting the area of interest."""
    area = c.area_from_f3548(body)
    refs = svc.query_intents(container.uow, container.ctx, area)
    intents, _ = c.references_to_f3548(refs, manager.subject)
    return s.QueryOperationalIntentReferencesPublic(operational_intent_references=intents)


@router.get(
    "/operational_intent_references/{entityid}",
    response_model=s.GetOperationalIntentReferencePublic,
    response_model_exclude_none=True,
    responses={404: {"model": s.ErrorResponsePublic}},
)
def get_operational_intent_reference(
    entityid: EntityId, manager: OirRead, container: ContainerDep
) -> s.GetOperationalIntentReferencePublic:
    """One operational intent reference (its OVN only for its manager)."""
    intent, availability = svc.get_intent(container.uow, c.entity_id(entityid, "entityid"))
    return s.GetOperationalIntentReferencePublic(
        operational_intent_reference=c.intent_to_f3548(intent, manager.subject, availability)
    )


def _put_intent(
    entityid: EntityId,
    ovn: str | None,
    body: s.OperationalIntentReferenceCreate,
    manager: Manager,
    request: Request,
    container: ContainerDep,
) -> s.ChangeOperationalIntentReferencePublic | JSONResponse:
    intent_id = c.entity_id(entityid, "entityid")
    command = c.intent_from_f3548(body)
    try:
        change = svc.put_intent(container.uow, container.ctx, manager, intent_id, ovn, command)
    except MissingOvns as e:
        return _conflict(e, manager, request)
    return _change(change, manager)


_PUT_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"model": s.AirspaceConflictPublic, "description": "The key lacks current OVNs"},
    412: {"model": s.ErrorResponsePublic, "description": "The USS is marked Down"},
}


@router.put(
    "/operational_intent_references/{entityid}",
    status_code=201,
    response_model=s.ChangeOperationalIntentReferencePublic,
    response_model_exclude_none=True,
    responses=_PUT_RESPONSES,
)
def create_operational_intent_reference(
    entityid: EntityId,
    body: s.OperationalIntentReferenceCreate,
    manager: OirWrite,
    request: Request,
    container: ContainerDep,
) -> s.ChangeOperationalIntentReferencePublic | JSONResponse:
    """Creates an operational intent reference (Accepted), after the key check."""
    return _put_intent(entityid, None, body, manager, request, container)


@router.put(
    "/operational_intent_references/{entityid}/{ovn}",
    response_model=s.ChangeOperationalIntentReferencePublic,
    response_model_exclude_none=True,
    responses=_PUT_RESPONSES,
)
def update_operational_intent_reference(
    entityid: EntityId,
    ovn: str,
    body: s.OperationalIntentReferenceCreate,
    manager: OirWrite,
    request: Request,
    container: ContainerDep,
) -> s.ChangeOperationalIntentReferencePublic | JSONResponse:
    """Updates an operational intent reference at its current OVN, after the key check."""
    return _put_intent(entityid, ovn, body, manager, request, container)


@router.delete(
    "/operational_intent_references/{entityid}/{ovn}",
    response_model=s.ChangeOperationalIntentReferencePublic,
    response_model_exclude_none=True,
    responses={404: {"model": s.ErrorResponsePublic}, 409: {"model": s.ErrorResponsePublic}},
)
def delete_operational_intent_reference(
    entityid: EntityId, ovn: str, manager: OirRead, container: ContainerDep
) -> s.ChangeOperationalIntentReferencePublic:
    """Deletes an operational intent reference at its current OVN."""
    change = svc.delete_intent(
        container.uow, container.ctx, manager, c.entity_id(entityid, "entityid"), ovn
    )
    return _change(change, manager)


# ---- constraint references ----------------------------------------------------------


def _constraint_change(
    change: svc.ConstraintChange, manager: Manager
) -> s.ChangeConstraintReferencePublic:
    return s.ChangeConstraintReferencePublic(
        subscribers=c.subscribers_to_f3548(change.subscribers),
        constraint_reference=c.constraint_to_f3548(
            change.constraint, manager.subject, change.availability
        ),
    )


@router.post(
    "/constraint_references/query",
    response_model=s.QueryConstraintReferencesPublic,
    response_model_exclude_none=True,
)
def query_constraint_references(
    body: s.QueryCreate, manager: CstrRead, container: ContainerDep
) -> s.QueryConstraintReferencesPublic:
    """Every constraint reference meeting the area of interest."""
    area = c.area_from_f3548(body)
    refs = svc.query_constraints(container.uow, container.ctx, area)
    _, constraints = c.references_to_f3548(refs, manager.subject)
    return s.QueryConstraintReferencesPublic(constraint_references=constraints)


@router.get(
    "/constraint_references/{entityid}",
    response_model=s.GetConstraintReferencePublic,
    response_model_exclude_none=True,
    responses={404: {"model": s.ErrorResponsePublic}},
)
def get_constraint_reference(
    entityid: EntityId, manager: CstrRead, container: ContainerDep
) -> s.GetConstraintReferencePublic:
    """One constraint reference (its OVN only for its manager)."""
    constraint, availability = svc.get_constraint(container.uow, c.entity_id(entityid, "entityid"))
    return s.GetConstraintReferencePublic(
        constraint_reference=c.constraint_to_f3548(constraint, manager.subject, availability)
    )


@router.put(
    "/constraint_references/{entityid}",
    status_code=201,
    response_model=s.ChangeConstraintReferencePublic,
    response_model_exclude_none=True,
    responses={409: {"model": s.ErrorResponsePublic}},
)
def create_constraint_reference(
    entityid: EntityId,
    body: s.ConstraintReferenceCreate,
    manager: CstrWrite,
    container: ContainerDep,
) -> s.ChangeConstraintReferencePublic:
    """Creates a constraint reference (restricted zones of the manager's party)."""
    command = c.constraint_from_f3548(body)
    change = svc.put_constraint(
        container.uow, container.ctx, manager, c.entity_id(entityid, "entityid"), None, command
    )
    return _constraint_change(change, manager)


@router.put(
    "/constraint_references/{entityid}/{ovn}",
    response_model=s.ChangeConstraintReferencePublic,
    response_model_exclude_none=True,
    responses={404: {"model": s.ErrorResponsePublic}, 409: {"model": s.ErrorResponsePublic}},
)
def update_constraint_reference(
    entityid: EntityId,
    ovn: str,
    body: s.ConstraintReferenceCreate,
    manager: CstrWrite,
    container: ContainerDep,
) -> s.ChangeConstraintReferencePublic:
    """Updates a constraint reference at its current OVN."""
    command = c.constraint_from_f3548(body)
    change = svc.put_constraint(
        container.uow, container.ctx, manager, c.entity_id(entityid, "entityid"), ovn, command
    )
    return _constraint_change(change, manager)


@router.delete(
    "/constraint_references/{entityid}/{ovn}",
    response_model=s.ChangeConstraintReferencePublic,
    response_model_exclude_none=True,
    responses={404: {"model": s.ErrorResponsePublic}, 409: {"model": s.ErrorResponsePublic}},
)
def delete_constraint_reference(
    entityid: EntityId, ovn: str, manager: CstrWrite, container: ContainerDep
) -> s.ChangeConstraintReferencePublic:
    """Deletes a constraint reference at its current OVN."""
    change = svc.delete_constraint(
        container.uow, container.ctx, manager, c.entity_id(entityid, "entityid"), ovn
    )
    return _constraint_change(change, manager)


# ---- subscriptions ----------------------------------------------------------------------


def _put_subscription(
    subscriptionid: EntityId,
    version: str | None,
    body: s.DssSubscriptionCreate,
    manager: Manager,
    container: ContainerDep,
) -> s.PutSubscriptionPublic:
    command = c.subscription_from_f3548(body)
    change = svc.put_subscription(
        container.uow,
        container.ctx,
        manager,
        c.entity_id(subscriptionid, "subscriptionid"),
        version,
        command,
    )
    intents, constraints = c.references_to_f3548(change.references, manager.subject)
    subscription = change.subscription
    return s.PutSubscriptionPublic(
        subscription=c.subscription_to_f3548(subscription),
        operational_intent_references=intents
        if subscription.notify_for_operational_intents
        else None,
        constraint_references=constraints if subscription.notify_for_constraints else None,
    )


@router.post("/subscriptions/query", response_model=s.QuerySubscriptionsPublic)
def query_subscriptions(
    body: s.QueryCreate, manager: Subscriber, container: ContainerDep
) -> s.QuerySubscriptionsPublic:
    """The caller's subscriptions meeting the area of interest."""
    area = c.area_from_f3548(body)
    found = svc.query_subscriptions(container.uow, container.ctx, manager, area)
    return s.QuerySubscriptionsPublic(subscriptions=[c.subscription_to_f3548(x) for x in found])


@router.get(
    "/subscriptions/{subscriptionid}",
    response_model=s.GetSubscriptionPublic,
    responses={404: {"model": s.ErrorResponsePublic}},
)
def get_subscription(
    subscriptionid: EntityId, manager: Subscriber, container: ContainerDep
) -> s.GetSubscriptionPublic:
    """One of the caller's subscriptions."""
    found = svc.get_subscription(
        container.uow, manager, c.entity_id(subscriptionid, "subscriptionid")
    )
    return s.GetSubscriptionPublic(subscription=c.subscription_to_f3548(found))


@router.put(
    "/subscriptions/{subscriptionid}",
    response_model=s.PutSubscriptionPublic,
    response_model_exclude_none=True,
    responses={409: {"model": s.ErrorResponsePublic}},
)
def create_subscription(
    subscriptionid: EntityId,
    body: s.DssSubscriptionCreate,
    manager: Subscriber,
    container: ContainerDep,
) -> s.PutSubscriptionPublic:
    """Creates a subscription; answers with the references in its area."""
    return _put_subscription(subscriptionid, None, body, manager, container)


@router.put(
    "/subscriptions/{subscriptionid}/{version}",
    response_model=s.PutSubscriptionPublic,
    response_model_exclude_none=True,
    responses={404: {"model": s.ErrorResponsePublic}, 409: {"model": s.ErrorResponsePublic}},
)
def update_subscription(
    subscriptionid: EntityId,
    version: str,
    body: s.DssSubscriptionCreate,
    manager: Subscriber,
    container: ContainerDep,
) -> s.PutSubscriptionPublic:
    """Updates one of the caller's subscriptions at its current version."""
    return _put_subscription(subscriptionid, version, body, manager, container)


@router.delete(
    "/subscriptions/{subscriptionid}/{version}",
    response_model=s.GetSubscriptionPublic,
    responses={404: {"model": s.ErrorResponsePublic}, 409: {"model": s.ErrorResponsePublic}},
)
def delete_subscription(
    subscriptionid: EntityId, version: str, manager: Subscriber, container: ContainerDep
) -> s.GetSubscriptionPublic:
    """Deletes one of the caller's subscriptions at its current version."""
    found = svc.delete_subscription(
        container.uow,
        container.ctx,
        manager,
        c.entity_id(subscriptionid, "subscriptionid"),
        version,
    )
    return s.GetSubscriptionPublic(subscription=c.subscription_to_f3548(found))


# ---- reports and availability --------------------------------------------------------


@router.post("/reports", status_code=201)
def make_dss_report(
    body: s.ReportCreate, manager: Reporter, container: ContainerDep
) -> dict[str, Any]:
    """Archives a report; answers with it and its new `report_id`."""
    sent = body.model_dump(mode="json", exclude_none=True)
    report = svc.make_report(container.uow, container.ctx, manager, sent)
    return {**sent, "report_id": report.id}


def _availability(status: UssAvailability) -> s.AvailabilityPublic:
    return s.AvailabilityPublic(
        status=s.AvailabilityStatusPublic(uss=status.uss, availability=status.availability.value),
        version=status.version,
    )


@router.get("/uss_availability/{uss_id}", response_model=s.AvailabilityPublic)
def get_uss_availability(
    uss_id: str, _manager: AvailabilityReader, container: ContainerDep
) -> s.AvailabilityPublic:
    """A USS's availability (Unknown until set)."""
    return _availability(svc.get_availability(container.uow, uss_id))


@router.put(
    "/uss_availability/{uss_id}",
    response_model=s.AvailabilityPublic,
    responses={409: {"model": s.ErrorResponsePublic}},
)
def set_uss_availability(
    uss_id: str, body: s.AvailabilityCreate, manager: Arbiter, container: ContainerDep
) -> s.AvailabilityPublic:
    """Sets a USS's availability at its current version."""
    status = svc.set_availability(
        container.uow,
        container.ctx,
        manager,
        uss_id,
        body.old_version,
        Availability(body.availability),
    )
    return _availability(status)
