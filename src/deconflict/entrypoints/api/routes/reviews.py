"""Review cases, suggestions and operation history."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from deconflict.services import reviews
from deconflict.services.ports import UnitOfWork

from .. import converters as c
from .. import schemas as s
from ..deps import CallerDep, CtxDep, FormatDep, IdempotencyDep, PageDep, UowDep, located
from ..replies import idempotent

router = APIRouter(prefix="/v1")


@router.get("/reviews", tags=["reviews"])
def list_reviews(
    uow: UowDep,
    ctx: CtxDep,
    caller: CallerDep,
    page: PageDep,
    scope: Annotated[
        Literal["queue", "all"],
        Query(
            description="queue: cases waiting on a stage the caller's roles act in; all: every case the caller's party reviews"
        ),
    ] = "queue",
    volume_format: FormatDep = s.VolumeFormat.NATIVE,
) -> list[s.ReviewPublic]:
    """The caller's review queue, newest first."""
    views = (
        reviews.review_queue(uow, ctx, caller, page)
        if scope == "queue"
        else reviews.reviewed_cases(uow, ctx, caller, page)
    )
    return [c.review_to_api(v, volume_format) for v in views]


@router.get("/reviews/{case_id}", tags=["reviews"])
def get_review(
    case_id: str,
    uow: UowDep,
    ctx: CtxDep,
    caller: CallerDep,
    volume_format: FormatDep = s.VolumeFormat.NATIVE,
) -> s.ReviewPublic:
    """One review case, for its reviewing party or its submitting party."""
    return c.review_to_api(reviews.get_review(uow, ctx, caller, case_id), volume_format)


@router.post(
    "/reviews/{case_id}/decisions",
    status_code=status.HTTP_201_CREATED,
    tags=["reviews"],
    response_model=s.ReviewPublic,
)
def decide(
    case_id: str,
    body: s.DecisionCreate,
    uow: UowDep,
    ctx: CtxDep,
    caller: CallerDep,
    key: IdempotencyDep,
    volume_format: FormatDep = s.VolumeFormat.NATIVE,
) -> JSONResponse:
    """Decides in the case's current stage: approve, approve_with_conditions (with
    `conditions`), request_modification (with a `comment` and optionally a `proposal`:
    a suggestion id or volumes), or reject (with the reason in `comment`)."""
    command = c.decision_from_api(body, ctx)

    def write(u: UnitOfWork) -> reviews.CaseView:
        with located("body"):
            return reviews.decide(u, ctx, caller, case_id, command)

    return idempotent(
        uow,
        ctx,
        caller,
        key,
        write,
        reviews.CaseView,
        lambda view: c.review_to_api(view, volume_format),
        status.HTTP_201_CREATED,
    )


@router.get("/operations/{operation_id}/suggestions", tags=["operations"])
def suggestions(
    operation_id: str,
    uow: UowDep,
    caller: CallerDep,
    volume_format: FormatDep = s.VolumeFormat.NATIVE,
) -> list[s.SuggestionPublic]:
    """Verified changes to the current version that clear its conflicts with a
    reviewer's operations."""
    return [
        c.suggestion_to_api(x, volume_format)
        for x in reviews.operation_suggestions(uow, caller, operation_id)
    ]


@router.post("/operations/{operation_id}/suggestions/{suggestion_id}/accept", tags=["operations"])
def accept_suggestion(
    operation_id: str,
    suggestion_id: str,
    uow: UowDep,
    ctx: CtxDep,
    caller: CallerDep,
    volume_format: FormatDep = s.VolumeFormat.NATIVE,
) -> s.OperationPublic:
    """Takes a suggestion as the operation's next version (assessed and reviewed afresh)."""
    submission = reviews.accept_suggestion(uow, ctx, caller, operation_id, suggestion_id)
    return c.operation_to_api(submission.operation, caller.party_id, volume_format)


@router.get("/operations/{operation_id}/history", tags=["operations"])
def history(
    operation_id: str,
    uow: UowDep,
    caller: CallerDep,
    volume_format: FormatDep = s.VolumeFormat.NATIVE,
) -> s.HistoryPublic:
    """Every version with its review cases and decisions: for the submitter, and for each
    reviewing party (its own cases)."""
    return c.history_to_api(reviews.operation_history(uow, caller, operation_id), volume_format)
