"""The role check every guarded service makes first."""

from __future__ import annotations

import pytest

from deconflict.domain.errors import Forbidden
from deconflict.domain.model import Role
from deconflict.services.access import require

from .support import caller


def test_a_caller_with_one_of_the_roles_passes() -> None:
    require(caller("p", Role.OBSERVER), Role.SUBMITTER, Role.OBSERVER)


def test_a_caller_without_any_of_the_roles_is_forbidden_and_told_which_it_needs() -> None:
    with pytest.raises(Forbidden, match="submitter or admin"):
        require(caller("p", Role.REVIEWER, Role.OBSERVER), Role.SUBMITTER, Role.ADMIN)


def test_a_caller_without_roles_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        require(caller("p"), Role.OBSERVER)
