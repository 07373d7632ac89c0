"""The fakes keep the promises the services rely on: transactions, copies, constraints."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deconflict.domain.model import OperationState, Party, ZoneKind
from deconflict.services.ports import Page, Transaction
from tests.fakes import FakeUnitOfWork, IntegrityError, ReadOnlyTransaction

from .support import World, unchanged

NOW = datetime(2030, 1, 1, tzinfo=UTC)


class Boom(Exception):
    pass


def test_a_write_that_returns_is_committed() -> None:
    uow = FakeUnitOfWork()
    uow.run(lambda tx: tx.parties.add(Party("p1", "One", NOW)))
    assert uow.store.parties == {"p1": Party("p1", "One", NOW)}
    assert (uow.runs, uow.commits) == ([True], 1)


def test_a_write_that_raises_is_rolled_back_entirely() -> None:
    uow = FakeUnitOfWork()
    uow.run(lambda tx: tx.parties.add(Party("p1", "One", NOW)))

    def work(tx: Transaction) -> None:
        tx.parties.add(Party("p2", "Two", NOW))
        assert tx.parties.get("p2") is not None  # visible inside the transaction
        raise Boom

    with unchanged(uow), pytest.raises(Boom):
        uow.run(work)
    assert list(uow.store.parties) == ["p1"]


def test_a_read_only_run_refuses_writes_and_commits_nothing() -> None:
    uow = FakeUnitOfWork()
    with unchanged(uow), pytest.raises(ReadOnlyTransaction):
        uow.run(lambda tx: tx.parties.add(Party("p1", "One", NOW)), write=False)
    assert uow.runs == [False]


def test_the_schema_constraints_hold() -> None:
    uow = FakeUnitOfWork()
    uow.run(lambda tx: tx.parties.add(Party("p1", "One", NOW)))
    with unchanged(uow), pytest.raises(IntegrityError):
        uow.run(lambda tx: tx.parties.add(Party("p2", "One", NOW)))
    with unchanged(uow), pytest.raises(IntegrityError):
        uow.run(lambda tx: tx.parties.add(Party("p1", "Other", NOW)))


def test_an_operation_changed_without_save_is_not_changed_in_storage(world: World) -> None:
    operation_id = world.submit(world.alpha).operation.id

    def work(tx: Transaction) -> None:
        operation = tx.operations.get(operation_id)
        assert operation is not None
        operation.withdraw()

    world.uow.run(work)
    assert world.uow.store.operations[operation_id].state is OperationState.APPROVED


def test_listings_page_and_order_like_the_sql_adapter(world: World) -> None:
    first = world.submit(world.alpha, name="first").operation
    second = world.submit(world.alpha, name="second").operation
    newest_first = world.uow.run(
        lambda tx: tx.operations.of_party(world.alpha, Page()), write=False
    )
    assert [o.id for o in newest_first] == [second.id, first.id]
    only_second = world.uow.run(
        lambda tx: tx.operations.of_party(world.alpha, Page(limit=1)), write=False
    )
    assert [o.id for o in only_second] == [second.id]
    names = world.uow.run(lambda tx: tx.parties.listing(Page(limit=2, offset=1)), write=False)
    assert [p.name for p in names] == ["Bravo", "Charlie"]


def test_candidates_are_every_zone_and_counting_operation_that_could_matter(
    world: World,
) -> None:
    theirs = world.submit(world.bravo).operation
    world.submit(world.alpha)
    restricted = world.zone(world.charlie, ZoneKind.RESTRICTED)
    review = world.zone(world.bravo, ZoneKind.REVIEW)
    world.zone(world.charlie, ZoneKind.REVIEW)

    def work(tx: Transaction) -> tuple[list[str], list[str]]:
        zones = tx.zones.candidates([], world.ctx.default_separation, [world.bravo])
        ops = tx.operations.candidates([], world.ctx.default_separation, world.alpha)
        return [z.id for z in zones], [o.id for o in ops]

    assert world.uow.run(work, write=False) == ([restricted.id, review.id], [theirs.id])
