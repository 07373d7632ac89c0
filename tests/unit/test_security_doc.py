"""docs/SECURITY.md's role matrix is the one services/access.py enforces, and its
disclosure table the one tests/e2e/test_disclosure_matrix.py asserts."""

from __future__ import annotations

from pathlib import Path

from deconflict.domain.model import Role
from deconflict.services.access import PERMISSIONS, Action
from tests.disclosure import DISCLOSURE, VIEWERS, cell

DOC = Path(__file__).parents[2] / "docs" / "SECURITY.md"
COLUMNS = [Role.OPERATOR, Role.ADMIN, Role.SUBMITTER, Role.REVIEWER, Role.OBSERVER]


def _documented() -> dict[str, list[str]]:
    text = DOC.read_text()
    table = text.split("## Authorization: the role matrix", 1)[1].split("\n\n| action |", 1)[1]
    rows = {}
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def test_the_documented_matrix_names_every_action_and_only_those() -> None:
    assert set(_documented()) == {a.value for a in Action}


def test_every_documented_cell_matches_the_enforced_permissions() -> None:
    for action, cells in _documented().items():
        allowed = PERMISSIONS[Action(action)]
        if action == Action.REVIEW_DECIDE:
            assert cells == ["stage"] * len(COLUMNS)
        elif allowed is None:
            assert cells == ["any"] * len(COLUMNS), action
        else:
            assert cells == ["yes" if role in allowed else "no" for role in COLUMNS], action


def _disclosure_table() -> tuple[list[str], dict[str, list[str]]]:
    text = DOC.read_text()
    table = text.split("## Disclosure: who sees what", 1)[1].split("\n\n| what |", 1)[1]
    lines = ("| what |" + table).splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")][1:]
    rows = {}
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return header, rows


def test_the_documented_disclosure_table_is_the_tested_matrix() -> None:
    header, rows = _disclosure_table()
    assert header == list(VIEWERS)
    assert list(rows) == list(DISCLOSURE)
    for what, cells in rows.items():
        assert cells == [cell(seen) for seen in DISCLOSURE[what]], what
