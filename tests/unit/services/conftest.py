"""Fixtures of the service unit tests: a fake unit of work, a context and a world."""

from __future__ import annotations

import pytest

from deconflict.services.context import ServiceContext
from tests.fakes import FakeUnitOfWork

from .support import World, make_context


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def ctx() -> ServiceContext:
    return make_context()


@pytest.fixture
def world(uow: FakeUnitOfWork, ctx: ServiceContext) -> World:
    return World.build(uow, ctx)
