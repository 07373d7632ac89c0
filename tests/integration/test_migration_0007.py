"""Migration 0007 on data written before it: zones become `partners`, comments stay
comments (no internal note), no party is an authority, agreements approve by proposal;
and it goes down and up again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import MetaData, insert, inspect

from deconflict.adapters import codec
from deconflict.adapters.migrate import _config, upgrade
from deconflict.adapters.sql import make_engine
from deconflict.bootstrap import bootstrap
from deconflict.config import Settings
from deconflict.domain.assessment import Assessment
from deconflict.domain.chain import DEFAULT_CHAIN
from deconflict.domain.model import ProposalAcceptance, ZoneDisclosure
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, TimeWindow, Volume4D

T = datetime(2030, 1, 1, 8)  # naive: as the columns hold UTC on both backends


def _ids() -> dict[str, str]:
    return {k: str(uuid.uuid4()) for k in ("a", "b", "agreement", "zone", "op", "case")}


def _write_before_0007(url: str, ids: dict[str, str]) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine, "0005")
        meta = MetaData()
        meta.reflect(engine)
        t = meta.tables
        circle = Circle(LatLng(-10.0, 20.0), 500)
        band = AltitudeBand(0, 100)
        volume = Volume4D(
            circle, band, TimeWindow(T.replace(tzinfo=UTC), T.replace(hour=9, tzinfo=UTC))
        )
        # A chain as stored before 0007: stages without a public label.
        old_chain = codec.chain_to_json(DEFAULT_CHAIN)
        for stage in old_chain["stages"]:
            del stage["public_label"]
        with engine.begin() as c:
            for key in ("a", "b"):
                c.execute(
                    insert(t["parties"]).values(id=ids[key], name=f"p-{ids[key]}", created_at=T)
                )
            c.execute(
                insert(t["agreements"]).values(
                    id=ids["agreement"],
                    kind="coordination",
                    proposer_party_id=ids["a"],
                    partner_party_id=ids["b"],
                    state="active",
                    created_at=T,
                )
            )
            c.execute(
                insert(t["zones"]).values(
                    id=ids["zone"],
                    party_id=ids["b"],
                    kind="review",
                    name="Old range",
                    footprint=codec.footprint_to_json(circle),
                    altitude=codec.band_to_json(band),
                    periods=[],
                    created_at=T,
                )
            )
            c.execute(
                insert(t["operations"]).values(
                    id=ids["op"],
                    party_id=ids["a"],
                    name="Old survey",
                    priority=0,
                    state="modification_requested",
                    current_version=1,
                    created_at=T,
                    updated_at=T,
                )
            )
            c.execute(
                insert(t["operation_versions"]).values(
                    operation_id=ids["op"],
                    number=1,
                    state="modification_requested",
                    volumes=[codec.volume_to_json(volume)],
                    assessment=codec.assessment_to_json(Assessment((), (), ())),
                    submitted_at=T,
                    submitted_by="pilot",
                )
            )
            c.execute(
                insert(t["review_cases"]).values(
                    id=ids["case"],
                    operation_id=ids["op"],
                    version=1,
                    submitter_party_id=ids["a"],
                    reviewer_party_id=ids["b"],
                    agreement_id=ids["agreement"],
                    chain=old_chain,
                    zone_ids=[ids["zone"]],
                    state="modification_requested",
                    stage_index=0,
                    stage_started_at=T,
                    created_at=T,
                    closed_at=T,
                )
            )
            c.execute(
                insert(t["review_decisions"]).values(
                    case_id=ids["case"],
                    seq=0,
                    stage_index=0,
                    role="reviewer",
                    subject="boss",
                    party_id=ids["b"],
                    decision="request_modification",
                    comment="Please fly later",
                    decided_at=T,
                    automatic=False,
                )
            )
    finally:
        engine.dispose()


def test_existing_zones_become_partners_and_comments_stay_comments(
    own_database_url: str, tmp_path: Path
) -> None:
    ids = _ids()
    _write_before_0007(own_database_url, ids)
    container = bootstrap(Settings(data_dir=tmp_path, database_url=own_database_url))
    try:
        zone, case, party, agreement, operation = container.uow.run(
            lambda tx: (
                tx.zones.get(ids["zone"]),
                tx.reviews.get(ids["case"]),
                tx.parties.get(ids["a"]),
                tx.agreements.get(ids["agreement"]),
                tx.operations.get(ids["op"]),
            ),
            write=False,
        )
    finally:
        container.close()
    assert zone is not None
    assert zone.disclosure is ZoneDisclosure.PARTNERS
    assert case is not None
    [decision] = case.decisions
    assert (decision.comment, decision.internal_note) == ("Please fly later", "")
    assert case.chain.stages[0].public_label is None
    assert party is not None
    assert party.authority is False
    assert agreement is not None
    assert agreement.proposal_acceptance is ProposalAcceptance.APPROVE
    assert operation is not None
    assert (operation.flexibility, operation.current.conditions) == (None, ())


def test_migration_0007_goes_down_and_up_again(own_database_url: str) -> None:
    engine = make_engine(own_database_url)
    try:
        upgrade(engine)
        config = _config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0005")
        assert "disclosure" not in {c["name"] for c in inspect(engine).get_columns("zones")}
        upgrade(engine)
        assert "disclosure" in {c["name"] for c in inspect(engine).get_columns("zones")}
        decisions = {c["name"] for c in inspect(engine).get_columns("review_decisions")}
        assert "internal_note" in decisions
    finally:
        engine.dispose()
