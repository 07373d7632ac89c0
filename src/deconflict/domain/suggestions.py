"""Suggestions: computed changes to a plan that clear its conflicts with one party's
operations (the reviewer's), each verified by running the full check again.

Kinds, cheapest to describe first: the smallest shift later and earlier in time; the
smallest lift of the altitude band above, or drop below, the reviewer's operations; and
trimming each conflicting volume's window to its longest conflict-free part.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum

from .assessment import ConflictKind, OperationCandidate, Relations, assess
from .conflicts import altitude_overlap, time_overlap
from .errors import DomainError
from .geometry import FrameFactory
from .model import Zone
from .volumes import AltitudeBand, TimeWindow, Volume4D


class SuggestionKind(StrEnum):
    LATER = "time_shift_later"
    EARLIER = "time_shift_earlier"
    ABOVE = "altitude_above"
    BELOW = "altitude_below"
    TRIM = "trim_time"


@dataclass(frozen=True, slots=True)
class Suggestion:
    id: str
    kind: SuggestionKind
    summary: str
    volumes: tuple[Volume4D, ...]


@dataclass(frozen=True, slots=True)
class SearchLimits:
    """How far a suggestion may move a plan."""

    max_shift_s: float = 24 * 3600.0
    min_altitude_m: float = 0.0
    max_altitude_m: float = 10_000.0
    min_trimmed_s: float = 300.0


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
    operations without entering a restricted zone; empty when there is nothing to clear.

    `zones` and `operations` must cover the whole search range (times shifted by up to
    `limits.max_shift_s`), or a suggestion could move the plan onto something unseen."""
    zones, operations = list(zones), list(operations)
    focus = [o for o in operations if o.party_id == focus_party_id]
    if not focus:
        return []

    def clear(candidate: Sequence[Volume4D]) -> bool:
        try:
            outcome = assess(candidate, relations, zones, operations, frames)
        except DomainError:  # e.g. a band that cannot exist: not a suggestion
            return False
        return not outcome.refused and not any(
            c.kind is ConflictKind.OPERATION and c.party_id == focus_party_id
            for c in outcome.conflicts
        )

    if clear(volumes):
        return []
    separation = relations.separation_with(focus_party_id)
    pad_s, pad_m = separation.time_s, separation.vertical_m
    others = [ov for o in focus for ov in o.volumes]
    found: list[Suggestion] = []

    # Time: the minimal shift puts a volume's start just after some other volume's end
    # (later) or its end just before some other's start (earlier); try those in order.
    later = sorted(
        {(ov.time.end - v.time.start).total_seconds() + pad_s for v in volumes for ov in others}
        - {0.0}
    )
    for delta in (d for d in later if 0 < d <= limits.max_shift_s):
        if clear(shifted := _shift_time(volumes, delta)):
            found.append(
                Suggestion(
                    new_id(), SuggestionKind.LATER, f"start {_duration(delta)} later", shifted
                )
            )
            break
    earlier = sorted(
        {(ov.time.start - v.time.end).total_seconds() - pad_s for v in volumes for ov in others},
        reverse=True,
    )
    for delta in (d for d in earlier if -limits.max_shift_s <= d < 0):
        if clear(shifted := _shift_time(volumes, delta)):
            found.append(
                Suggestion(
                    new_id(), SuggestionKind.EARLIER, f"start {_duration(-delta)} earlier", shifted
                )
            )
            break

    # Altitude: lift the band's bottom just above some other band, or drop its top below.
    top = max(v.altitude.upper_m for v in volumes)
    bottom = min(v.altitude.lower_m for v in volumes)
    above = sorted(
        {ov.altitude.upper_m + pad_m - v.altitude.lower_m for v in volumes for ov in others}
    )
    for delta in (d for d in above if d > 0 and top + d <= limits.max_altitude_m):
        if clear(lifted := _shift_altitude(volumes, delta)):
            found.append(
                Suggestion(new_id(), SuggestionKind.ABOVE, f"fly {delta:.0f} m higher", lifted)
            )
            break
    below = sorted(
        {ov.altitude.lower_m - pad_m - v.altitude.upper_m for v in volumes for ov in others},
        reverse=True,
    )
    for delta in (d for d in below if d < 0 and bottom + d >= limits.min_altitude_m):
        if clear(lowered := _shift_altitude(volumes, delta)):
            found.append(
                Suggestion(new_id(), SuggestionKind.BELOW, f"fly {-delta:.0f} m lower", lowered)
            )
            break

    trimmed = _trim(volumes, others, pad_s, pad_m, limits.min_trimmed_s)
    if trimmed is not None and clear(trimmed):
        found.append(
            Suggestion(
                new_id(), SuggestionKind.TRIM, "shorten the conflicting time windows", trimmed
            )
        )
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
        length, window = max(free, key=lambda f: f[0])
        if length < min_s:
            return None
        out.append(replace(v, time=window))
        changed = True
    return tuple(out) if changed else None


def _duration(seconds: float) -> str:
    minutes = round(abs(seconds) / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
