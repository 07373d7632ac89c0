"""The disclosure matrix: who may see what of one coordinated operation.

One scenario (tests/e2e/test_disclosure_matrix.py) plants a marker string for each row;
the test asserts, for each viewer, that the markers of its "yes" rows reach it and
those of its "no" rows never do, through every endpoint, event, webhook and export.
docs/SECURITY.md's disclosure table is this one (tests/unit/test_security_doc.py).
"""

from __future__ import annotations

#: The viewers, as the columns of the table.
VIEWERS = (
    "submitter",
    "coordination partner (each stage's official)",
    "deconfliction partner",
    "unrelated party",
    "authority",
)

#: What -> whether each viewer (in VIEWERS order) sees it.
DISCLOSURE: dict[str, tuple[bool, bool, bool, bool, bool]] = {
    "the operation's name": (True, True, False, False, False),
    "the submitter's people (token subjects)": (True, False, False, False, False),
    "the reviewing party's people (token subjects)": (False, True, False, False, False),
    "internal notes on decisions": (False, True, False, False, False),
    "stage names and stage roles": (False, True, False, False, False),
    "public stage labels": (True, True, False, False, False),
    "decision comments (to the submitter)": (True, True, False, False, False),
    "computed suggestions": (False, True, False, False, False),
    "a reviewer's proposal": (True, True, False, False, False),
    "the reviewing party's own operations": (False, True, False, False, False),
    "a partner's `partners` zone: its shape and windows": (True, True, False, False, False),
    "a partner's `partners` zone: its name": (False, True, False, False, False),
    "a `private` zone (its id, shape or name)": (False, True, False, False, False),
    "a deconfliction partner's `private` notify zone (its id or name)": (
        False,
        False,
        True,
        False,
        False,
    ),
    "a notice's acknowledgement comment": (True, False, True, False, False),
    "an authority's public restricted zone": (True, True, True, True, True),
}


def cell(seen: bool) -> str:
    return "yes" if seen else "no"
