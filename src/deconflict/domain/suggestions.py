"""Suggestions: computed changes to a plan that clear its conflicts with one party's
operations (the reviewer's), each verified by running the full check again.

Kinds, cheapest to describe first: the smallest shift later and earlier in time; the
smallest lift of the altitude band above, or drop below, the reviewer's operations; and
trimming each conflicting volume's window to its longest conflict-free part.

They are the reviewer's to give (the submitter sees only what a reviewer proposes), and
are made not to pinpoint the reviewer's operations: shifts are whole 5 minutes and 10 m,
within the operation's declared flexibility, and an alternative that also leaves the
reviewer's review zones (no new review needed) is preferred to a nearer one that does not.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from .assessment import ConflictKind, OperationCandidate, Relations, assess
from .conflicts import altitude_overlap, time_overlap
from .errors import DomainError
from .geometry import FrameFactory
from .model import Zone, ZoneKind
from .operation import Flexibility
from .volumes import AltitudeBand, TimeWindow, Volume4D

#: Steps that suggestions move by: whole 5 minutes and 10 m.
TIME_STEP_S = 300.0
ALTITUDE_STEP_M = 10.0
#: Without a declared flexibility: at most this shift, and a band at most this many times
#: the planned ceiling.
DEFAULT_SHIFT_S = 6 * 3600.0
DEFAULT_CEILING_FACTOR = 2.0


class SuggestionKind(StrEnum):
    LATER = "time_shift_later"
    EARLIER = "time_shift_earlier"
    ABOVE = "altitude_above"
    BELOW = "altitude_below"
    TRIM = "trim_time"
    PROPOSAL = "proposal"  # volumes a reviewer drew itself


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A changed plan; `party_id` is the reviewing party it was computed for, or whose
    proposal it is (None: stored before revision 0007)."""

    id: str
    kind: SuggestionKind
    summary: str
    volumes: tuple[Volume4D, ...]
    party_id: str | None = None


@dataclass(frozen=True, slots=True)
class SearchLimits:
    """How far a suggestion may move a plan: its start by `earliest_shift_s` (<= 0) to
    `latest_shift_s` (>= 0), its band within [min_altitude_m, max_altitude_m]."""

    earliest_shift_s: float = -DEFAULT_SHIFT_S
    latest_shift_s: float = DEFAULT_SHIFT_S
    min_altitude_m: float = 0.0
    max_altitude_m: float = 10_000.0
    min_trimmed_s: float = 300.0

    @classmethod
    def of(cls, volumes: Sequence[Volume4D], flexibility: Flexibility | None) -> SearchLimits:
        """The operation's declared flexibility; each bound it leaves unset: a shift of at
        most 6 h, a band from the ground (or the plan's floor, if lower) up to twice the
        planned ceiling."""
        flex = flexibility or Flexibility()
        start = min(v.time.start for v in volumes)
        floor = min(v.altitude.lower_m for v in volumes)
        ceiling = max(v.altitude.upper_m for v in volumes)
        return cls(
            earliest_shift_s=-DEFAULT_SHIFT_S
            if flex.earliest_start is None
            else min(0.0, (flex.earliest_start - start).total_seconds()),
            latest_shift_s=DEFAULT_SHIFT_S
            if flex.latest_start is None
            else max(0.0, (flex.latest_start - start).total_seconds()),
            min_altitude_m=min(0.0, floor) if flex.lowest_m is None else flex.lowest_m,
            max_altitude_m=DEFAULT_CEILING_FACTOR * max(ceiling, 0.0)
            if flex.highest_m is None
            else flex.highest_m,
        )

    @property
    def reach_s(self) -> float:
        """How far in time the search may look, either way."""
        return max(-self.earliest_shift_s, self.latest_shift_s)


def _away(value: float, step: float) -> float:
    """`value` rounded to a whole `step`, away from zero (a shift never gets smaller)."""
    return math.copysign(math.ceil(abs(value) / step - 1e-9) * step, value)


def _shift_time(volumes: Sequence[Volume4D], delta_s: float) -> tuple[Volume4D, ...]:
    delta = timedelta(seconds=delta_s)
    return tuple(replace(v, time=v.time.shifted(delta)) for v in volumes)


def _shift_altitude(volumes: Sequence[Volume4D], delta_m: float) -> tuple[Volume4D, ...]:
    return tuple(
        replace(
            v,
            altitude=AltitudeBand(
                v.altitude.lower_m + delta_m, v.altitude.upper_m + delta_m, v.altitude.reference
            ),
        )
        for v in volumes
    )


def suggest(
    volumes: Sequence[Volume4D],
    relations: Relations,
    zones: Iterable[Zone],
    operations: Iterable[OperationCandidate],
    frames: FrameFactory,
    focus_party_id: str,
    new_id: Callable[[], str],
    limits: SearchLimits = SearchLimits(),
) -> list[Suggestion]:
    """Suggestions that clear every conflict of `volumes` with `focus_party_id`'s
    operations without entering a restricted zone, within `limits`; empty when there is
    nothing to clear. Of each kind the smallest move is taken that also leaves the focus
    party's review zones, if one is within limits, else the smallest that clears.

    `zones` and `operations` must cover the whole search range (times shifted by up to
    `limits.reach_s`), or a suggestion could move the plan onto something unseen."""
    zones, operations = list(zones), list(operations)
    focus = [o for o in operations if o.party_id == focus_party_id]
    if not focus:
        return []

    def score(candidate: Sequence[Volume4D]) -> int:
        """0: not clear; 1: clear of the focus party's operations; 2: of its review too."""
        try:
            outcome = assess(candidate, relations, zones, operations, frames)
        except DomainError:  # e.g. a band that cannot exist: not a suggestion
            return 0
        if outcome.refused or any(
            c.kind is ConflictKind.OPERATION and c.party_id == focus_party_id
            for c in outcome.conflicts
        ):
            return 0
        return 1 if any(r.party_id == focus_party_id for r in outcome.required_reviews) else 2

    if score(volumes):
        return []
    separation = relations.separation_with(focus_party_id)
    pad_s, pad_m = separation.time_s, separation.vertical_m
    others = [ov for o in focus for ov in o.volumes]
    review_zones = [
        zv
        for z in zones
        if z.party_id == focus_party_id and z.kind is ZoneKind.REVIEW
        for zv in z.volumes()
    ]
    found: list[Suggestion] = []

    def best(
        deltas: Iterable[float], move: Callable[[float], tuple[Volume4D, ...]]
    ) -> tuple[float, tuple[Volume4D, ...], bool] | None:
        """The first of `deltas` (nearest first) whose move clears the review zone too,
        else the first that clears at all."""
        fallback = None
        for delta in deltas:
            moved = move(delta)
            found_score = score(moved)
            if found_score == 2:
                return delta, moved, True
            if found_score == 1 and fallback is None:
                fallback = (delta, moved, False)
        return fallback

    def add(kind: SuggestionKind, summary: str, result: tuple[Volume4D, ...], clean: bool) -> None:
        note = "; outside their review zone: no new review" if clean else ""
        found.append(Suggestion(new_id(), kind, summary + note, result, focus_party_id))

    # Time: the minimal shift puts a volume's start just after some other volume's (or a
    # review zone's) end (later), or its end just before some other's start (earlier).
    # (An always-active zone gives shifts of millennia, which the limits leave out.)
    blockers = [*others, *review_zones]
    later = sorted(
        {
            _away((ov.time.end - v.time.start).total_seconds() + pad_s, TIME_STEP_S)
            for v in volumes
            for ov in blockers
        }
    )
    shift = best(
        (d for d in later if 0 < d <= limits.latest_shift_s), lambda d: _shift_time(volumes, d)
    )
    if shift is not None:
        add(SuggestionKind.LATER, f"start {_duration(shift[0])} later", shift[1], shift[2])
    earlier = sorted(
        {
            _away((ov.time.start - v.time.end).total_seconds() - pad_s, TIME_STEP_S)
            for v in volumes
            for ov in blockers
        },
        reverse=True,
    )
    shift = best(
        (d for d in earlier if limits.earliest_shift_s <= d < 0),
        lambda d: _shift_time(volumes, d),
    )
    if shift is not None:
        add(SuggestionKind.EARLIER, f"start {_duration(-shift[0])} earlier", shift[1], shift[2])

    # Altitude: lift the band's bottom just above some other band, or drop its top below.
    top = max(v.altitude.upper_m for v in volumes)
    bottom = min(v.altitude.lower_m for v in volumes)
    bands = [*others, *review_zones]
    above = sorted(
        {
            _away(ov.altitude.upper_m + pad_m - v.altitude.lower_m, ALTITUDE_STEP_M)
            for v in volumes
            for ov in bands
        }
    )
    lift = best(
        (d for d in above if d > 0 and top + d <= limits.max_altitude_m),
        lambda d: _shift_altitude(volumes, d),
    )
    if lift is not None:
        add(SuggestionKind.ABOVE, f"fly {lift[0]:.0f} m higher", lift[1], lift[2])
    below = sorted(
        {
            _away(ov.altitude.lower_m - pad_m - v.altitude.upper_m, ALTITUDE_STEP_M)
            for v in volumes
            for ov in bands
        },
        reverse=True,
    )
    drop = best(
        (d for d in below if d < 0 and bottom + d >= limits.min_altitude_m),
        lambda d: _shift_altitude(volumes, d),
    )
    if drop is not None:
        add(SuggestionKind.BELOW, f"fly {-drop[0]:.0f} m lower", drop[1], drop[2])

    trimmed = _trim(volumes, others, pad_s, pad_m, limits.min_trimmed_s)
    if trimmed is not None and (trim_score := score(trimmed)):
        add(SuggestionKind.TRIM, "shorten the conflicting time windows", trimmed, trim_score == 2)
    return found


def _trim(
    volumes: Sequence[Volume4D],
    others: Sequence[Volume4D],
    pad_s: float,
    pad_m: float,
    min_s: float,
) -> tuple[Volume4D, ...] | None:
    """Each volume's window cut to its longest part outside the padded windows of the
    others whose bands come near; None when nothing needed trimming or too little is left.

    Conservative in space: it cuts for any nearby band even if footprints are apart; the
    full check afterwards confirms the result."""
    out: list[Volume4D] = []
    changed = False
    for v in volumes:
        blocked = sorted(
            (w.start, w.end)
            for ov in others
            if altitude_overlap(v.altitude, ov.altitude, pad_m) is not None
            and (w := time_overlap(ov.time, v.time, pad_s)) is not None
        )
        if not blocked:
            out.append(v)
            continue
        free: list[tuple[float, TimeWindow]] = []
        cursor = v.time.start
        for start, end in blocked:
            if start > cursor:
                free.append(((start - cursor).total_seconds(), TimeWindow(cursor, start)))
            cursor = max(cursor, end)
        if cursor < v.time.end:
            free.append(((v.time.end - cursor).total_seconds(), TimeWindow(cursor, v.time.end)))
        if not free:
            return None
        _, window = max(free, key=lambda f: f[0])
        # Cut at whole 5 minutes, inwards: the partner's window edges stay unexact.
        window_start, window_end = _grid(window.start, up=True), _grid(window.end, up=False)
        if (window_end - window_start).total_seconds() < min_s:
            return None
        out.append(replace(v, time=TimeWindow(window_start, window_end)))
        changed = True
    return tuple(out) if changed else None


def _grid(moment: datetime, *, up: bool) -> datetime:
    """`moment` on the 5-minute grid of UTC, rounded up or down."""
    epoch_s = moment.timestamp() / TIME_STEP_S
    steps = math.ceil(epoch_s - 1e-9) if up else math.floor(epoch_s + 1e-9)
    return datetime.fromtimestamp(steps * TIME_STEP_S, UTC)


def _duration(seconds: float) -> str:
    minutes = round(abs(seconds) / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
