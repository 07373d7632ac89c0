"""`deconflict serve` with the storage part of a check taken out: `check_volumes`
authorizes the caller and validates the volumes as ever, then answers "no conflicts"
without a transaction. What `POST /v1/checks` then costs is the
API layer alone (socket, HTTP, middleware, token, rate limit, body, answer), the figure
bench/http_checks.py --stub reports. One process only: with several, uvicorn's workers
would import the application afresh, without this stand-in."""

from __future__ import annotations

from collections.abc import Sequence

from deconflict.domain.assessment import Assessment
from deconflict.domain.model import Caller
from deconflict.domain.volumes import Volume4D
from deconflict.entrypoints.cli import main
from deconflict.services import operations
from deconflict.services.access import Action, authorize
from deconflict.services.context import ServiceContext
from deconflict.services.ports import UnitOfWork

NOTHING = Assessment((), (), ())


def check_without_storage(
    _uow: UnitOfWork, ctx: ServiceContext, caller: Caller, volumes: Sequence[Volume4D]
) -> Assessment:
    authorize(caller, Action.CHECK)
    operations.validate_volumes(volumes, ctx)
    return NOTHING


if __name__ == "__main__":
    operations.check_volumes = check_without_storage  # type: ignore[assignment]
    main()
