"""Checks and operations: the write path of the core service.

Every submission runs the same steps inside one transaction: candidates from the cell
index, the exact 4D test in the domain, the policy, then the writes. Because the
candidate read and the writes share a SERIALIZABLE transaction, two overlapping
submissions can never both miss each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from deconflict.domain.assessment import Assessment, Relations, assess
from deconflict.domain.errors import DomainError, InvalidInput, NotFound, StateConflict
from deconflict.domain.geometry import check_footprint
from deconflict.domain.model import Caller, OperationState, Role
from deconflict.domain.operation import Operation, OperationVersion
from deconflict.domain.volumes import Volume4D

from .access import require
from .context import ServiceContext
from .ports import Page, Transaction, UnitOfWork


class Refused(DomainError):
    """The volumes enter a restricted zone: nothing was stored. Carries the assessment."""

    def __init__(self, assessment: Assessment) -> None:
        self.assessment = assessment
        super().__init__("the operation enters a restricted zone and is refused")


@dataclass(frozen=True, slots=True)
class OperationCommand:
    """What a submitter sends for a new operation or a new version of one."""

    name: str
    priority: int
    volumes: tuple[Volume4D, ...]


@dataclass(frozen=True, slots=True)
class Submission:
    """A stored operation and the assessment of its new version, as the caller may see it."""

    operation: Operation
    assessment: Assessment


def validate_volumes(volumes: Sequence[Volume4D], ctx: ServiceContext) -> None:
    """Raises InvalidInput, located at `volumes.<i>...`, unless every volume is within
    the configured limits (count, footprint validity, vertices, area, duration)."""
    limits = ctx.limits
    if not volumes:
        raise InvalidInput.at(("volumes",), "at least one volume is needed")
    if len(volumes) > limits.max_volumes:
        raise InvalidInput.at(
            ("volumes",), f"{len(volumes)} volumes exceed the maximum of {limits.max_volumes}"
        )
    problems = []
    for i, volume in enumerate(volumes):
        try:
            check_footprint(volume.footprint, ctx.frames, limits.footprint)
        except InvalidInput as e:
            problems.extend(e.prefixed(("volumes", i)).problems)
        if volume.time.duration_s > limits.max_window_s:
            problems.append(
                (
                    ("volumes", i, "time_end"),
                    f"time window of {volume.time.duration_s:.0f} s exceeds the maximum of "
                    f"{limits.max_window_s:.0f} s",
                )
            )
    if problems:
        raise InvalidInput(problems)


def _assess(
    tx: Transaction, ctx: ServiceContext, party_id: str, volumes: Sequence[Volume4D]
) -> Assessment:
    agreements = tx.agreements.active_of_party(party_id)
    relations = Relations.of(party_id, agreements, ctx.default_separation)
    reach = relations.widest_separation()
    zones = tx.zones.candidates(volumes, reach, list(relations.agreements))
    operations = tx.operations.candidates(volumes, reach, party_id)
    return assess(volumes, relations, zones, operations, ctx.frames)


def check_volumes(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, volumes: Sequence[Volume4D]
) -> Assessment:
    """Dry run (`POST /v1/checks`): what a submission of `volumes` would meet. Stores nothing."""
    require(caller, Role.SUBMITTER, Role.OBSERVER, Role.ADMIN)
    validate_volumes(volumes, ctx)
    assessment = uow.run(lambda tx: _assess(tx, ctx, caller.party_id, volumes), write=False)
    return assessment.seen_by(caller.party_id)


def _record(tx: Transaction, ctx: ServiceContext, operation: Operation) -> None:
    """Writes what the current version's assessment asks for: reviews and notices."""
    version = operation.current
    for review in version.assessment.required_reviews:
        tx.reviews.add_required(operation.id, version.number, review)
    for notice in version.assessment.notices:
        tx.notices.add(ctx.new_id(), operation.id, version.number, notice, ctx.clock())


def _new_version(
    tx: Transaction, ctx: ServiceContext, caller: Caller, number: int, volumes: tuple[Volume4D, ...]
) -> OperationVersion:
    assessment = _assess(tx, ctx, caller.party_id, volumes)
    if assessment.refused:
        raise Refused(assessment.seen_by(caller.party_id))
    return OperationVersion(
        number=number,
        volumes=volumes,
        state=assessment.state,
        submitted_at=ctx.clock(),
        submitted_by=caller.subject,
        assessment=assessment,
    )


def submit_operation(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, command: OperationCommand
) -> Submission:
    """Submits a new operation (`POST /v1/operations`).

    Raises Refused (nothing stored) when it enters a restricted zone; otherwise stores
    version 1 as `in_review` (a coordination partner's review zone) or `approved`.
    """
    require(caller, Role.SUBMITTER)
    validate_volumes(command.volumes, ctx)

    def work(tx: Transaction) -> Submission:
        if tx.parties.get(caller.party_id) is None:
            raise StateConflict(f"the caller's party {caller.party_id} is not registered")
        operation = Operation(
            id=ctx.new_id(),
            party_id=caller.party_id,
            name=command.name,
            priority=command.priority,
            created_at=ctx.clock(),
        )
        operation.add_version(_new_version(tx, ctx, caller, 1, command.volumes))
        tx.operations.add(operation)
        _record(tx, ctx, operation)
        return Submission(operation, operation.current.assessment.seen_by(caller.party_id))

    return uow.run(work)


def _own(tx: Transaction, caller: Caller, operation_id: str) -> Operation:
    operation = tx.operations.get(operation_id)
    if operation is None or operation.party_id != caller.party_id:
        raise NotFound(f"no operation {operation_id}")
    return operation


def update_operation(
    uow: UnitOfWork,
    ctx: ServiceContext,
    caller: Caller,
    operation_id: str,
    command: OperationCommand,
) -> Submission:
    """Submits a new version of one of the caller's operations (`PUT /v1/operations/{id}`).

    The new version is assessed afresh; the operation's own earlier version never
    conflicts with it. Refused versions leave the operation as it was."""
    require(caller, Role.SUBMITTER)
    validate_volumes(command.volumes, ctx)

    def work(tx: Transaction) -> Submission:
        operation = _own(tx, caller, operation_id)
        version = _new_version(tx, ctx, caller, len(operation.versions) + 1, command.volumes)
        operation.name, operation.priority = command.name, command.priority
        operation.add_version(version)
        tx.operations.save(operation)
        _record(tx, ctx, operation)
        return Submission(operation, version.assessment.seen_by(caller.party_id))

    return uow.run(work)


def withdraw_operation(uow: UnitOfWork, caller: Caller, operation_id: str) -> Operation:
    """Withdraws one of the caller's operations (`POST /v1/operations/{id}/withdraw`);
    it stops counting as a conflict at once."""
    require(caller, Role.SUBMITTER)

    def work(tx: Transaction) -> Operation:
        operation = _own(tx, caller, operation_id)
        operation.withdraw()
        tx.operations.save(operation)
        return operation

    return uow.run(work)


def get_operation(uow: UnitOfWork, caller: Caller, operation_id: str) -> Operation:
    """One of the caller's operations (`GET /v1/operations/{id}`); others' are NotFound."""
    return uow.run(lambda tx: _own(tx, caller, operation_id), write=False)


def list_operations(
    uow: UnitOfWork, caller: Caller, page: Page, state: OperationState | None = None
) -> list[Operation]:
    """The caller's party's operations, newest first (`GET /v1/operations`)."""
    return uow.run(lambda tx: tx.operations.of_party(caller.party_id, page, state), write=False)
