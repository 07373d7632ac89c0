"""Who may do what: the role checks every service makes before it acts."""

from __future__ import annotations

from deconflict.domain.errors import Forbidden
from deconflict.domain.model import Caller, Role


def require(caller: Caller, *roles: Role) -> None:
    """Raises Forbidden unless the caller holds at least one of `roles`."""
    if not any(caller.has(r) for r in roles):
        wanted = " or ".join(r.value for r in roles)
        raise Forbidden(f"this action needs the role {wanted}")
