"""Fixtures shared by every tier.

Storage-touching tests take `database_url`, parametrised over a fresh SQLite file and a
PostgreSQL database created for this session. PostgreSQL is required: when it cannot
be reached the tests that need it fail loudly; they are never skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.entrypoints.api.app import create_app

POSTGRES_ADMIN_URL = os.environ.get(
    "DECONFLICT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def _fresh_postgres(admin_url: str = POSTGRES_ADMIN_URL) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of `admin_url`, dropped at the end."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"deconflict_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as e:
        pytest.fail(
            f"PostgreSQL is required and not reachable at {admin_url} "
            f"(set DECONFLICT_TEST_POSTGRES_URL, or run .ci/run which starts it): {e}",
            pytrace=False,
        )
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of its own for this test session."""
    with _fresh_postgres() as url:
        yield url


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated-on-first-use database: a fresh SQLite file, or the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'deconflict.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(params=BACKENDS)
def own_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database for this test alone (for tests that damage what they store)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'own.db'}"
        return
    with _fresh_postgres() as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Background loops off: tests that need the dispatcher or the deadline ticker turn
    them on, so other tests see no writes they did not make."""
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        dispatch_in_process=False,
        deadline_interval_s=0,
        audit_anchor_interval_s=0,
    )


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    container = bootstrap(settings)
    yield container
    container.uow.engine.dispose()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container=container)) as client:
        yield client


Auth = Callable[..., dict[str, str]]


@pytest.fixture
def auth(container: Container) -> Auth:
    """`auth(party_id, "submitter", ...)`: headers with a freshly minted bearer token."""

    def headers(party_id: str, *roles: str) -> dict[str, str]:
        token = container.issuer.mint(party_id, list(roles or ("submitter",)), 600)
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def new_party(client: TestClient, auth: Auth) -> Callable[..., str]:
    """Registers a party with a unique name (prefix + random suffix), optionally as an
    authority (`new_party("caa", authority=True)`); returns its id."""

    def create(prefix: str = "party", authority: bool = False) -> str:
        response = client.post(
            "/v1/parties",
            json={"name": f"{prefix}-{uuid.uuid4().hex[:8]}", "authority": authority},
            headers=auth("bootstrap-operator", "operator"),
        )
        assert response.status_code == 201, response.text
        party_id: str = response.json()["id"]
        return party_id

    return create


# ---- PostgreSQL must have run ---------------------------------------------------------

_postgres_passed = 0


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _postgres_passed
    if report.when == "call" and report.passed and "postgresql" in report.keywords:
        _postgres_passed += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With DECONFLICT_REQUIRE_POSTGRES=1 (CI, scripts/check), a run in which no
    PostgreSQL test passed fails, whatever else happened."""
    if os.environ.get("DECONFLICT_REQUIRE_POSTGRES") == "1" and _postgres_passed == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\nFAILED: no PostgreSQL test passed, and DECONFLICT_REQUIRE_POSTGRES=1")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(f"PostgreSQL tests passed: {_postgres_passed}")
