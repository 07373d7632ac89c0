"""Notices: what a deconfliction partner is told when a plan enters its area of interest.

Only what it needs: where (the outline of the part of its zone the plan comes near),
how high, when, who submitted and an opaque reference. Never names or purposes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .errors import InvalidInput, NotFound, StateConflict
from .volumes import AltitudeBand, Polygon, TimeWindow


class NoticeKind(StrEnum):
    ENTRY = "entry"  # a plan enters the zone for the first time
    UPDATE = "update"  # a new version still enters it
    CLEARED = "cleared"  # a new version no longer enters it
    WITHDRAWAL = "withdrawal"  # the plan was withdrawn


class AckState(StrEnum):
    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"
    CONCERN = "concern"


@dataclass(slots=True)
class Notice:
    id: str
    kind: NoticeKind
    operation_id: str  # the reference: opaque, stable across versions
    version: int
    submitter_party_id: str
    recipient_party_id: str
    agreement_id: str
    zone_id: str
    outline: Polygon | None
    altitude: AltitudeBand | None
    time: TimeWindow | None
    created_at: datetime
    ack: AckState = AckState.PENDING
    ack_comment: str = ""
    acked_at: datetime | None = None
    acked_by: str | None = None

    def acknowledge(
        self, party_id: str, subject: str, state: AckState, comment: str, now: datetime
    ) -> None:
        """The recipient acknowledges the notice or flags a concern (with a comment), once."""
        if party_id != self.recipient_party_id:
            raise NotFound(f"no notice {self.id}")
        if state is AckState.PENDING:
            raise InvalidInput.at(("status",), "acknowledge with 'acknowledged' or 'concern'")
        if state is AckState.CONCERN and not comment.strip():
            raise InvalidInput.at(("comment",), "a concern needs a comment")
        if self.ack is not AckState.PENDING:
            raise StateConflict(f"notice {self.id} was already answered ({self.ack})")
        self.ack, self.ack_comment, self.acked_at, self.acked_by = state, comment, now, subject
