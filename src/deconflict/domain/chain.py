"""Review chains: what a coordination agreement says about how its partner reviews.

Ordered stages, each naming the roles that act in it and its rule (`any` one decision
closes the stage; `all` named roles must decide), an optional deadline with what happens
then, and auto-approval rules in the spirit of LAANC facility-map ceilings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from .errors import InvalidInput
from .volumes import TimeWindow, Volume4D

#: Ten years: a longer deadline is a mistake (and would overflow datetimes).
MAX_DEADLINE_S = 10 * 365 * 86400.0


class StageRule(StrEnum):
    ANY = "any"
    ALL = "all"


class DeadlineAction(StrEnum):
    ESCALATE = "escalate"
    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class Stage:
    """One step of a chain: who acts (any of `roles`, or each of them with `all`)."""

    name: str
    roles: tuple[str, ...]
    rule: StageRule = StageRule.ANY
    deadline_s: float | None = None
    on_deadline: DeadlineAction = DeadlineAction.ESCALATE
    #: What the submitting party may read of this stage ("safety assessment"); without
    #: one it learns nothing about the stage (its name and roles stay inside the party).
    public_label: str | None = None

    def __post_init__(self) -> None:
        if not self.roles:
            raise InvalidInput.at(("roles",), "a stage needs at least one role")
        if len(set(self.roles)) != len(self.roles):
            raise InvalidInput.at(("roles",), "a stage names each role once")
        if self.deadline_s is not None and not 0 < self.deadline_s <= MAX_DEADLINE_S:
            raise InvalidInput.at(
                ("deadline_s",),
                f"a deadline is a positive number of seconds, at most {MAX_DEADLINE_S:.0f}",
            )


@dataclass(frozen=True, slots=True)
class AutoApprovalRule:
    """Approves a case automatically when every condition it sets holds.

    `max_altitude_m`: every volume in the reviewer's review zones tops out at or below it.
    `outside_hours_utc`: every such volume lies outside these [from_hour, to_hour) spans
    of each UTC day (the reviewer's staffed hours, say).
    `without_own_conflicts`: the plan conflicts with none of the reviewer's operations.
    """

    name: str
    max_altitude_m: float | None = None
    outside_hours_utc: tuple[tuple[int, int], ...] = ()
    without_own_conflicts: bool = False

    def __post_init__(self) -> None:
        if (
            self.max_altitude_m is None
            and not self.outside_hours_utc
            and not self.without_own_conflicts
        ):
            raise InvalidInput.at((), "an auto-approval rule needs at least one condition")
        for i, (start, end) in enumerate(self.outside_hours_utc):
            if not (0 <= start < 24 and 0 < end <= 24 and start != end):
                raise InvalidInput.at(
                    ("outside_hours_utc", i), "hours run from 0 to 24, start != end"
                )

    def matches(self, volumes: Sequence[Volume4D], has_own_conflicts: bool) -> bool:
        if self.max_altitude_m is not None and any(
            v.altitude.upper_m > self.max_altitude_m for v in volumes
        ):
            return False
        if any(_touches_hours(v.time, span) for v in volumes for span in self.outside_hours_utc):
            return False
        return not (self.without_own_conflicts and has_own_conflicts)


def _touches_hours(window: TimeWindow, span: tuple[int, int]) -> bool:
    """True when `window` overlaps the daily UTC span [start_h, end_h) on any day."""
    start_h, end_h = span
    day = window.start.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    while day < window.end:
        begin = day + timedelta(hours=start_h)
        finish = day + timedelta(hours=end_h if end_h > start_h else end_h + 24)
        if begin < window.end and window.start < finish:
            return True
        day += timedelta(days=1)
    return False


@dataclass(frozen=True, slots=True)
class ReviewChain:
    stages: tuple[Stage, ...]
    auto_approval: tuple[AutoApprovalRule, ...] = ()

    def __post_init__(self) -> None:
        if not self.stages:
            raise InvalidInput.at(("stages",), "a review chain needs at least one stage")
        last = self.stages[-1]
        if last.deadline_s is not None and last.on_deadline is DeadlineAction.ESCALATE:
            raise InvalidInput.at(
                ("stages", len(self.stages) - 1, "on_deadline"),
                "the last stage has nobody to escalate to: approve or reject at its deadline",
            )

    def auto_approving_rule(
        self, volumes: Sequence[Volume4D], has_own_conflicts: bool
    ) -> AutoApprovalRule | None:
        return next((r for r in self.auto_approval if r.matches(volumes, has_own_conflicts)), None)


#: The chain of a coordination agreement that names none: one reviewer decides.
DEFAULT_CHAIN = ReviewChain((Stage("review", ("reviewer",)),))
