"""The demo scenario: three fictional parties and an aviation authority around the
fictional Isle of Veloria.

Everything is loaded through the ordinary services, so the demo shows what users get:
every operation state, a two-stage review chain with public stage labels and an
auto-approval rule, internal notes, a modification answered by accepting the reviewer's
proposal (approved by proposal), an approval with conditions, a rejection, a stage
escalated at its deadline, a notice, a private review zone and the authority's public
restricted zone. Veloria sits over open ocean (around 30 S, 140 W), far from real
airspace.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from deconflict.domain.chain import AutoApprovalRule, DeadlineAction, ReviewChain, Stage, StageRule
from deconflict.domain.conflicts import Separation
from deconflict.domain.geometry import FrameFactory
from deconflict.domain.model import AgreementKind, Caller, Party, Role, ZoneDisclosure, ZoneKind
from deconflict.domain.review import Conditions, Decision, Proposal
from deconflict.domain.suggestions import SuggestionKind
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, Polygon, TimeWindow, Volume4D

from . import operations as ops
from . import registry, reviews, subscriptions
from .context import ServiceContext
from .ports import Transaction, UnitOfWork

OPERATOR = "Northwind Aerial Works"
REVIEWER = "Veloria Coastal Command"
NEIGHBOUR = "Harbor Survey Cooperative"
AUTHORITY = "Veloria Civil Aviation Authority"
#: A party's own roles (the deployment's `operator` is no party's person).
BASE_ROLES: frozenset[str] = frozenset(Role) - {Role.OPERATOR}

#: Veloria Coastal Command's review of Northwind's plans: a duty commander first, then two
#: senior assessors who each decide; low flights are approved at once.
DEMO_CHAIN = ReviewChain(
    stages=(
        Stage(
            "command review",
            ("command_review",),
            StageRule.ANY,
            24 * 3600.0,
            DeadlineAction.ESCALATE,
            public_label="initial review",
        ),
        Stage(
            "senior assessment",
            ("assessor_operations", "assessor_safety"),
            StageRule.ALL,
            72 * 3600.0,
            DeadlineAction.REJECT,
            public_label="specialist assessment",
        ),
    ),
    auto_approval=(AutoApprovalRule("below 45 m", max_altitude_m=45.0),),
)


@dataclass(frozen=True, slots=True)
class DemoParties:
    operator: Party
    reviewer: Party
    neighbour: Party
    authority: Party

    def all(self) -> tuple[Party, Party, Party]:
        return (self.operator, self.reviewer, self.neighbour)


@dataclass(frozen=True, slots=True)
class DemoPerson:
    """Someone to hand a token to: a label, a party and roles."""

    label: str
    variable: str
    caller: Caller


def demo_people(parties: DemoParties) -> list[DemoPerson]:
    """The demo's people, each with a subject of its own (assessors decide separately)."""
    op, rev, nb = parties.all()

    def person(label: str, variable: str, party: Party, *roles: str) -> DemoPerson:
        subject = f"demo:{variable.lower()}"
        return DemoPerson(label, variable, Caller(subject, party.id, BASE_ROLES | frozenset(roles)))

    return [
        person(f"{op.name}: operations desk", "NORTHWIND_TOKEN", op),
        person(f"{rev.name}: duty commander", "VELORIA_TOKEN", rev, "command_review"),
        person(
            f"{rev.name}: senior assessor, operations",
            "VELORIA_ASSESSOR_OPS_TOKEN",
            rev,
            "assessor_operations",
        ),
        person(
            f"{rev.name}: senior assessor, safety",
            "VELORIA_ASSESSOR_SAFETY_TOKEN",
            rev,
            "assessor_safety",
        ),
        person(f"{nb.name}: harbour office", "HARBOR_TOKEN", nb),
        person(f"{parties.authority.name}: airspace office", "AUTHORITY_TOKEN", parties.authority),
    ]


def _offset(frames: FrameFactory, origin: LatLng, east_m: float, north_m: float) -> LatLng:
    lngs, lats = frames(origin).to_lnglat([east_m], [north_m])
    return LatLng(float(lats[0]), float(lngs[0]))


def _box(
    frames: FrameFactory, origin: LatLng, x_m: float, y_m: float, w_m: float, h_m: float
) -> Polygon:
    return Polygon(
        tuple(
            _offset(frames, origin, x, y)
            for x, y in ((x_m, y_m), (x_m + w_m, y_m), (x_m + w_m, y_m + h_m), (x_m, y_m + h_m))
        )
    )


def find_demo(uow: UnitOfWork) -> DemoParties | None:
    """The demo parties if the scenario is loaded already, else None."""

    def work(tx: Transaction) -> DemoParties | None:
        operator, reviewer, neighbour, authority = (
            tx.parties.by_name(n) for n in (OPERATOR, REVIEWER, NEIGHBOUR, AUTHORITY)
        )
        if operator is None or reviewer is None or neighbour is None or authority is None:
            return None
        return DemoParties(operator, reviewer, neighbour, authority)

    return uow.run(work, write=False)


def _subscribe(
    uow: UnitOfWork, ctx: ServiceContext, callers: tuple[Caller, ...], isle: LatLng, start: datetime
) -> None:
    """A subscription for each party over the whole scenario, made before anything else
    so that `deconflict watch` replays the scenario's events (no webhook: the stream)."""
    window = TimeWindow(start - timedelta(days=1), start + timedelta(days=7))
    area = Volume4D(Circle(isle, 30_000.0), AltitudeBand(0.0, 5000.0), window)
    for caller in callers:
        subscriptions.create_subscription(
            uow, ctx, caller, subscriptions.SubscriptionCreate(area, None)
        )


def load_demo(uow: UnitOfWork, ctx: ServiceContext, start: datetime) -> DemoParties:
    """Loads the scenario, with operations from `start` on (tomorrow morning, say)."""
    admin = Caller("demo:loader", "demo-loader", frozenset({Role.OPERATOR}))
    parties = DemoParties(
        registry.create_party(uow, ctx, admin, OPERATOR),
        registry.create_party(uow, ctx, admin, REVIEWER),
        registry.create_party(uow, ctx, admin, NEIGHBOUR),
        registry.create_party(uow, ctx, admin, AUTHORITY, authority=True),
    )
    operator, commander, ops_assessor, safety_assessor, neighbour, authority = (
        p.caller for p in demo_people(parties)
    )
    f = ctx.frames
    isle = LatLng(-30.0, -140.0)
    _subscribe(uow, ctx, (operator, commander, neighbour), isle, start)

    # Veloria proposes: the review chain is its own process, seen whole only by it.
    coordination = registry.propose_agreement(
        uow,
        ctx,
        commander,
        registry.AgreementCreate(
            AgreementKind.COORDINATION,
            parties.operator.id,
            Separation(100.0, 15.0, 120.0),
            DEMO_CHAIN,
        ),
    )
    registry.accept_agreement(uow, ctx, operator, coordination.id)
    deconfliction = registry.propose_agreement(
        uow,
        ctx,
        operator,
        registry.AgreementCreate(AgreementKind.DECONFLICTION, parties.neighbour.id, None),
    )
    registry.accept_agreement(uow, ctx, neighbour, deconfliction.id)

    def zone(
        by: Caller,
        kind: ZoneKind,
        name: str,
        footprint: Polygon | Circle,
        top_m: float,
        periods: tuple[TimeWindow, ...] = (),
        disclosure: ZoneDisclosure | None = None,
    ) -> None:
        registry.create_zone(
            uow,
            ctx,
            by,
            registry.ZoneCreate(
                kind, name, footprint, AltitudeBand(0.0, top_m), periods, disclosure
            ),
        )

    day = timedelta(days=1)
    zone(
        commander, ZoneKind.REVIEW, "Range Alpha", Circle(_offset(f, isle, 8000, 6000), 6000), 1500
    )
    zone(
        commander,
        ZoneKind.RESTRICTED,
        "Fuel Depot Kestrel",
        _box(f, isle, -9000, -4000, 2500, 2000),
        600,
    )
    zone(
        commander,
        ZoneKind.REVIEW,
        "Coastal Radar Sector (exercise days)",
        _box(f, isle, -15000, 9000, 9000, 6000),
        3000,
        tuple(TimeWindow(start + i * day, start + i * day + timedelta(hours=10)) for i in (0, 2)),
        # Private: Northwind learns only that Veloria must review, when and how high.
        ZoneDisclosure.PRIVATE,
    )
    # The authority's restricted zone is public (its default) and binds every party.
    zone(
        authority,
        ZoneKind.RESTRICTED,
        "Government House",
        Circle(_offset(f, isle, -1000, 5000), 800),
        900,
    )
    zone(
        neighbour,
        ZoneKind.NOTIFY,
        "Harbor Approaches",
        _box(f, isle, 2000, -14000, 10000, 5000),
        400,
    )

    def window(day_offset: int, hour: float, hours: float) -> TimeWindow:
        begin = start + day_offset * day + timedelta(hours=hour)
        return TimeWindow(begin, begin + timedelta(hours=hours))

    def submit(by: Caller, name: str, *volumes: Volume4D, context: ServiceContext = ctx) -> str:
        command = ops.OperationCommand(name, 0, tuple(volumes))
        return ops.submit_operation(uow, context, by, command).operation.id

    def circle(east_m: float, north_m: float, radius_m: float) -> Circle:
        return Circle(_offset(f, isle, east_m, north_m), radius_m)

    def case_of(operation_id: str) -> str:
        history = reviews.operation_history(uow, operator, operation_id)
        return history.cases[-1].id

    def decide(
        by: Caller,
        operation_id: str,
        decision: Decision,
        comment: str = "",
        conditions: Conditions | None = None,
        proposal: Proposal | None = None,
        note: str = "",
    ) -> None:
        command = reviews.DecisionCommand(decision, comment, conditions, proposal, note)
        reviews.decide(uow, ctx, by, case_of(operation_id), command)

    low, mid = AltitudeBand(20.0, 120.0), AltitudeBand(100.0, 400.0)
    # The reviewer's own flying, which the operator's plans must not disrupt.
    submit(
        commander,
        "Range Alpha live firing window",
        Volume4D(circle(8000, 6000, 4000), AltitudeBand(0, 1200), window(0, 2, 3)),
    )
    submit(
        commander,
        "Coastal patrol, north arc",
        Volume4D(_box(f, isle, -12000, 10000, 6000, 3000), mid, window(1, 3, 2)),
    )

    # A modification requested with the reviewer's proposal, accepted: approved by proposal.
    lighthouse = submit(
        operator, "Lighthouse inspection", Volume4D(circle(9000, 5000, 500), low, window(0, 3, 1.5))
    )
    later = next(
        s
        for s in reviews.operation_suggestions(uow, commander, lighthouse)
        if s.kind is SuggestionKind.LATER
    )
    decide(
        commander,
        lighthouse,
        Decision.REQUEST_MODIFICATION,
        "Please start after our activity in the area; the proposed time is clear.",
        proposal=Proposal(suggestion_id=later.id),
        note="Live firing in Range Alpha until 05:00; checked with Range Control.",
    )
    reviews.accept_suggestion(uow, ctx, operator, lighthouse, later.id)
    # Through both stages; the safety assessor approves with conditions.
    cliffs = submit(
        operator, "Cliff survey west", Volume4D(circle(4000, 8000, 500), low, window(1, 8, 1))
    )
    decide(commander, cliffs, Decision.APPROVE, note="Routine; passing to senior assessment.")
    decide(ops_assessor, cliffs, Decision.APPROVE)
    decide(
        safety_assessor,
        cliffs,
        Decision.APPROVE_WITH_CONDITIONS,
        "Approved on the conditions below.",
        conditions=Conditions("Stay below 100 m; report airborne to Range Control."),
        note="Nesting season on the west cliffs: keep them high.",
    )
    # A modification requested and not answered yet.
    stack = submit(
        operator, "Sea stack survey", Volume4D(circle(6500, 5500, 400), low, window(0, 2.5, 1))
    )
    decide(
        commander,
        stack,
        Decision.REQUEST_MODIFICATION,
        "Conflicts with our firing window; see the suggestions.",
    )
    # Waiting for the duty commander.
    submit(operator, "Cliff survey east", Volume4D(circle(11000, 9000, 700), low, window(1, 6, 2)))
    # Approved at once by the chain's rule: entirely below 45 m.
    submit(
        operator,
        "Low beach photo run",
        Volume4D(circle(5000, 2500, 400), AltitudeBand(5, 40), window(1, 1, 1)),
    )
    # Rejected by the duty commander.
    night = submit(
        operator, "Night relay test", Volume4D(circle(7000, 8000, 600), mid, window(2, 14, 2))
    )
    decide(
        commander,
        night,
        Decision.REJECT,
        "Not possible that night.",
        note="Live night exercise in Range Alpha (not to be disclosed).",
    )
    # Past command review, one senior assessor of two has decided.
    radar = submit(
        operator,
        "Radar sector calibration",
        Volume4D(_box(f, isle, -13000, 10000, 2000, 2000), mid, window(0, 4, 1)),
    )
    decide(commander, radar, Decision.APPROVE)
    decide(ops_assessor, radar, Decision.APPROVE)
    # Submitted 25 hours ago: the command review deadline has passed, so the case escalates.
    yesterday = replace(ctx, clock=lambda: ctx.clock() - timedelta(hours=25))
    submit(
        operator,
        "Pier camera check",
        Volume4D(circle(12000, 4000, 300), low, window(2, 3, 1)),
        context=yesterday,
    )
    reviews.process_deadlines(uow, ctx)
    # Approved without review, notified, versioned, withdrawn.
    submit(
        operator,
        "Orchard mapping",
        Volume4D(_box(f, isle, -3000, 2000, 1500, 1200), low, window(0, 1, 2)),
    )
    submit(
        operator,
        "Harbor crane inspection",
        Volume4D(circle(6000, -12000, 400), low, window(0, 5, 1)),
    )
    moved = submit(
        operator, "Radio mast check", Volume4D(circle(-2000, -2000, 300), low, window(2, 1, 1))
    )
    ops.update_operation(
        uow,
        ctx,
        operator,
        moved,
        ops.OperationCommand(
            "Radio mast check", 0, (Volume4D(circle(-2500, -1500, 300), low, window(2, 2, 1)),)
        ),
    )
    dropped = submit(
        operator,
        "Wildlife count (cancelled)",
        Volume4D(circle(-4000, 3000, 900), low, window(1, 2, 2)),
    )
    ops.withdraw_operation(uow, ctx, operator, dropped)
    # The neighbour's own work on the harbour.
    submit(
        neighbour,
        "Channel depth survey",
        Volume4D(_box(f, isle, 3000, -13000, 3000, 2000), low, window(0, 4, 3)),
    )
    submit(neighbour, "Buoy maintenance", Volume4D(circle(9000, -11000, 600), low, window(1, 1, 2)))
    return parties
