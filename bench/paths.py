"""The two ways of answering one dry-run check that the benchmark compares.

`indexed` is the service itself (`check_volumes`): candidates from the H3 cell index,
then the exact domain test. `naive` is the same service step for step, except that it
loads every counting operation of other parties (`counting()`) and gives each the exact
domain test: what the index is there to avoid.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from deconflict.domain.assessment import Assessment, Relations, assess
from deconflict.domain.model import Caller
from deconflict.domain.volumes import Volume4D
from deconflict.services.context import ServiceContext
from deconflict.services.operations import _assess, check_volumes, validate_volumes
from deconflict.services.ports import Transaction, UnitOfWork


def _assess_naive(
    tx: Transaction, ctx: ServiceContext, party_id: str, volumes: Sequence[Volume4D]
) -> Assessment:
    """services.operations._assess with `counting()` in place of `candidates()`."""
    agreements = tx.agreements.active_of_party(party_id)
    relations = Relations.of(party_id, agreements, ctx.default_separation)
    reach = relations.widest_separation()
    zones = tx.zones.candidates(volumes, reach, list(relations.agreements))
    operations = tx.operations.counting(party_id)
    return assess(volumes, relations, zones, operations, ctx.frames)


def naive_check(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, volumes: Sequence[Volume4D]
) -> Assessment:
    """services.operations.check_volumes over the naive scan."""
    validate_volumes(volumes, ctx)
    assessment = uow.run(lambda tx: _assess_naive(tx, ctx, caller.party_id, volumes), write=False)
    return assessment.seen_by(caller.party_id)


Check = Callable[[UnitOfWork, ServiceContext, Caller, Sequence[Volume4D]], Assessment]
CHECKS: dict[str, Check] = {"indexed": check_volumes, "naive": naive_check}


def unredacted(
    path: str, uow: UnitOfWork, ctx: ServiceContext, party_id: str, volumes: Sequence[Volume4D]
) -> Assessment:
    """The assessment of `path` before need-to-know redaction, with operation ids."""
    work = _assess if path == "indexed" else _assess_naive
    return uow.run(lambda tx: work(tx, ctx, party_id, volumes), write=False)


def same(a: Assessment, b: Assessment) -> bool:
    """Equal up to the order of the conflicts (candidates come in no particular order)."""
    return (
        Counter(a.conflicts) == Counter(b.conflicts)
        and a.required_reviews == b.required_reviews
        and a.notices == b.notices
    )
