"""`deconflict reviews` and `deconflict decide` against a real server."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deconflict.bootstrap import Container
from deconflict.domain.model import AgreementKind, Caller, Role, ZoneDisclosure, ZoneKind
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, TimeWindow, Volume4D
from deconflict.entrypoints.api.app import create_app
from deconflict.entrypoints.cli import app
from deconflict.services import operations as ops
from deconflict.services import registry
from tests.e2e.live import serving

runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture
def url(container: Container) -> Iterator[str]:
    with serving(create_app(container=container)) as url:
        yield url


def _case(container: Container, disclosure: ZoneDisclosure | None = None) -> tuple[str, str]:
    """A new operation in review by a new reviewer; returns (reviewer party id, operation name)."""
    uow, ctx = container.uow, container.ctx
    root = Caller("t", "t", frozenset({Role.OPERATOR}))
    op_party, rev_party = (
        registry.create_party(uow, ctx, root, f"{n}-{uuid.uuid4().hex[:8]}") for n in "ab"
    )
    operator = Caller("pilot", op_party.id, frozenset({Role.ADMIN, Role.SUBMITTER}))
    reviewer = Caller("boss", rev_party.id, frozenset({Role.ADMIN}))
    agreement = registry.propose_agreement(
        uow, ctx, operator, registry.AgreementCreate(AgreementKind.COORDINATION, rev_party.id, None)
    )
    registry.accept_agreement(uow, ctx, reviewer, agreement.id)
    center = LatLng(-50.0, -20.0 + uuid.uuid4().int % 1000 / 100)
    registry.create_zone(
        uow,
        ctx,
        reviewer,
        registry.ZoneCreate(
            ZoneKind.REVIEW, "Range", Circle(center, 5000), AltitudeBand(0, 900), (), disclosure
        ),
    )
    name = f"Mapping {uuid.uuid4().hex[:6]}"
    start = datetime(2034, 1, 1, 9, tzinfo=UTC)
    window = TimeWindow(start, start + timedelta(hours=1))
    ops.submit_operation(
        uow,
        ctx,
        operator,
        ops.OperationCommand(
            name, 0, (Volume4D(Circle(center, 200), AltitudeBand(10, 90), window),)
        ),
    )
    CENTERS[rev_party.id] = center
    return rev_party.id, name


CENTERS: dict[str, LatLng] = {}


def test_a_reviewer_lists_its_queue_and_approves_from_the_command_line(
    container: Container, url: str
) -> None:
    reviewer, name = _case(container)
    token = container.issuer.mint(reviewer, ["reviewer"], 600)
    listed = runner.invoke(app, ["reviews", "--url", url, "--token", token])
    assert listed.exit_code == 0, listed.output
    assert name in listed.output
    case_id = next(line.split()[0] for line in listed.output.splitlines() if name in line)
    decided = runner.invoke(
        app, ["decide", case_id, "approve", "--url", url], env={"DECONFLICT_TOKEN": token}
    )
    assert decided.exit_code == 0, decided.output
    assert "approved" in decided.output
    empty = runner.invoke(app, ["reviews", "--url", url, "--token", token])
    assert "No review cases waiting" in empty.output


def test_decide_reports_the_api_error_and_exits_non_zero(container: Container, url: str) -> None:
    reviewer, _ = _case(container)
    token = container.issuer.mint(reviewer, ["reviewer"], 600)
    result = runner.invoke(
        app, ["decide", "no-such-case", "approve", "--url", url, "--token", token]
    )
    assert result.exit_code == 1
    assert "error 404" in result.output
    bad = runner.invoke(app, ["decide", "x", "perhaps", "--url", url, "--token", token])
    assert bad.exit_code == 1
    assert "body.decision" in bad.output
    no_token = runner.invoke(app, ["reviews", "--url", url], env={"DECONFLICT_TOKEN": ""})
    assert no_token.exit_code == 2


def test_an_approval_with_conditions_is_printed_with_them(container: Container, url: str) -> None:
    reviewer, name = _case(container)
    token = container.issuer.mint(reviewer, ["reviewer"], 600)
    listed = runner.invoke(app, ["reviews", "--url", url, "--token", token])
    case_id = next(line.split()[0] for line in listed.output.splitlines() if name in line)
    decided = runner.invoke(
        app,
        [
            *("decide", case_id, "approve_with_conditions", "--url", url, "--token", token),
            *("--condition", "Stay below 60 m", "--internal-note", "checked with the tower"),
        ],
    )
    assert decided.exit_code == 0, decided.output
    assert "approved with conditions: Stay below 60 m" in decided.output
    every = runner.invoke(app, ["reviews", "--all", "--url", url, "--token", token])
    assert "with conditions: Stay below 60 m" in every.output


def test_check_against_a_server_says_only_that_a_private_zone_needs_review(
    container: Container, url: str, tmp_path: Path
) -> None:
    reviewer, _ = _case(container, ZoneDisclosure.PRIVATE)
    operator = container.uow.run(
        lambda tx: next(a.other(reviewer) for a in tx.agreements.active_of_party(reviewer))
    )
    center = CENTERS[reviewer]
    plan = tmp_path / "plan.geojson"
    plan.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [center.lng, center.lat]},
                        "properties": {
                            "operation": "pier survey",
                            "radius_m": 300,
                            "altitude_lower_m": 20,
                            "altitude_upper_m": 80,
                            "time_start": "2034-01-02T09:00:00Z",
                            "time_end": "2034-01-02T10:00:00Z",
                        },
                    }
                ],
            }
        )
    )
    token = container.issuer.mint(operator, ["observer"], 600)
    result = runner.invoke(app, ["check", str(plan), "--url", url, "--token", token])
    assert result.exit_code == 1, result.output
    assert "review zone" in result.output
    assert f"zone (not disclosed) of {reviewer}" in result.output
    assert f"Review required by: {reviewer}" in result.output
    assert "Range" not in result.output
    both = runner.invoke(app, ["check", str(plan), "--url", url, "--party", operator])
    assert both.exit_code == 2
    assert "not both" in both.output
    bad_token = runner.invoke(app, ["check", str(plan), "--url", url, "--token", "nonsense"])
    assert bad_token.exit_code == 2
    assert "error 401" in bad_token.output
