"""Batch checks: many plans checked at once, with the answers of as many single checks.

`deconflict check FILE --party P` calls `check_many` when the file holds more than one
operation. A single check (`operations.check_volumes`) reads its candidates in one
statement per plan; here one read transaction reads the relations, the zones that may
matter and every counting operation once, joins them with all the plans in process
(`AirspaceRepository.around_many`), and the exact test runs per plan on its own
candidates only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from deconflict.domain.assessment import Assessment, assess
from deconflict.domain.errors import InvalidInput
from deconflict.domain.geometry import Coords, FrameFactory, LocalFrame
from deconflict.domain.model import Caller
from deconflict.domain.volumes import LatLng, Volume4D

from .access import Action, authorize
from .context import ServiceContext
from .operations import validate_volumes
from .ports import Surroundings, UnitOfWork

#: progress(stage, done, total): stage is "validating", "loading" or "checking".
Progress = Callable[[str, int, int], None]

#: How many plans pass between two progress reports.
PROGRESS_STEP = 500


class _LazyFrame:
    """A local frame built on first use: the frame of a volume is asked for by the
    validation of its footprint and by the exact test, but a circle with no candidate
    near it is never projected, and building a projection costs more than checking it.
    The frame built is the very one the factory returns, so answers do not change."""

    __slots__ = ("_center", "_factory", "_frame")

    def __init__(self, factory: FrameFactory, center: LatLng) -> None:
        self._factory = factory
        self._center = center
        self._frame: LocalFrame | None = None

    def _built(self) -> LocalFrame:
        if self._frame is None:
            self._frame = self._factory(self._center)
        return self._frame

    def to_xy(self, lngs: Coords, lats: Coords) -> tuple[Coords, Coords]:
        return self._built().to_xy(lngs, lats)

    def to_lnglat(self, xs: Coords, ys: Coords) -> tuple[Coords, Coords]:
        return self._built().to_lnglat(xs, ys)

    def ring_to_xy(self, lngs: Coords, lats: Coords) -> tuple[Coords, Coords]:
        return self._built().ring_to_xy(lngs, lats)


def lazy_frames(frames: FrameFactory) -> FrameFactory:
    """`frames`, each frame built only when something is projected in it."""
    return lambda center: _LazyFrame(frames, center)


def check_many(
    uow: UnitOfWork,
    ctx: ServiceContext,
    caller: Caller,
    plans: Sequence[Sequence[Volume4D]],
    progress: Progress | None = None,
) -> list[Assessment | InvalidInput]:
    """For each plan, what `operations.check_volumes(uow, ctx, caller, plan)` answers:
    the assessment as the caller may see it, or the InvalidInput it would raise (a bad
    plan is answered as such; the others are still checked). Stores nothing.

    Every plan is checked against the same airspace: one read transaction (a snapshot)
    finds the candidates of all of them (`AirspaceRepository.around_many`); the exact
    test (`domain.assessment.assess`) and the need-to-know step are those of a single
    check. Candidates may be more than a single check's (the bulk join's boxes are not
    the index's), never fewer, so conflicts are the same, though possibly listed in
    another order. Called by `deconflict check FILE --party P` (entrypoints/cli.py) for
    a file of more than one operation; `progress` hears of each stage as it advances.
    """
    authorize(caller, Action.CHECK)
    ctx = replace(ctx, frames=lazy_frames(ctx.frames))
    total = len(plans)

    def report(stage: str, done: int, of: int) -> None:
        if progress is not None and (done % PROGRESS_STEP == 0 or done == of):
            progress(stage, done, of)

    answers: list[Assessment | InvalidInput | None] = [None] * total
    valid: list[int] = []
    for i, volumes in enumerate(plans):
        try:
            validate_volumes(volumes, ctx)
        except InvalidInput as e:
            answers[i] = e
        else:
            valid.append(i)
        report("validating", i + 1, total)
    report("loading", 0, 1)
    found: list[Surroundings] = uow.run(
        lambda tx: tx.airspace.around_many(
            caller.party_id, [plans[i] for i in valid], ctx.default_separation
        ),
        write=False,
    )
    report("loading", 1, 1)
    for done, (i, around) in enumerate(zip(valid, found, strict=True), start=1):
        assessment = assess(plans[i], around.relations, around.zones, around.operations, ctx.frames)
        answers[i] = assessment.seen_by(caller.party_id)
        report("checking", done, len(valid))
    checked = [a for a in answers if a is not None]
    assert len(checked) == total
    return checked
