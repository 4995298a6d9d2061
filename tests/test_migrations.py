"""Migrations: upgrade head on an empty database yields exactly the models' schema, and
downgrade to base then upgrade head works. Runs on the backend under test (SQLite, or
PostgreSQL in a fresh database made for this test)."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, DateTime, MetaData, inspect, select, text
from sqlalchemy.orm import Session

from tests.features.live_database import separate_database
from trainer.accounts import services as accounts
from trainer.cli import alembic_config
from trainer.db import make_engine
from trainer.models import Base


@pytest.fixture
def empty_database_url(tmp_path, tmp_path_factory) -> Iterator[str]:
    with separate_database(tmp_path, tmp_path_factory, "migrations") as url:
        yield url


def schema_drift(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_head_matches_models_and_downgrade_round_trips(empty_database_url):
    config = alembic_config(empty_database_url)
    config.attributes["skip_logging"] = True
    command.upgrade(config, "head")
    assert tables(empty_database_url) == set(Base.metadata.tables)
    assert schema_drift(empty_database_url) == []
    command.downgrade(config, "base")
    assert tables(empty_database_url) == set()
    command.upgrade(config, "head")
    assert schema_drift(empty_database_url) == []


def test_drift_check_can_fail(empty_database_url):
    config = alembic_config(empty_database_url)
    config.attributes["skip_logging"] = True
    command.upgrade(config, "head")
    engine = make_engine(empty_database_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    assert any(diff[0] == "remove_table" for diff in schema_drift(empty_database_url))


def test_revisions_form_one_line_with_dated_file_names():
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(scripts.get_heads()) == 1
    for revision in scripts.walk_revisions():
        name = revision.path.rsplit("/", 1)[-1]
        assert name[:8].isdigit() and name[8] == "_" and revision.revision in name


def test_worlds_stored_with_other_decimal_digits_get_their_region_in_0_9(empty_database_url):
    """Worlds stored while a region was checked with str.isdigit: full-width and other
    decimal digits become 0-9 (region and spec, the rest of the spec kept); a superscript,
    not a decimal digit, is left as it was (the world's pages keep refusing it clearly)."""
    from sqlalchemy import Table

    url = empty_database_url
    config = alembic_config(url)
    config.attributes["skip_logging"] = True
    command.upgrade(config, "d4f7a1c9e2b5")
    engine = make_engine(url)
    try:
        worlds = Table("worlds", MetaData(), autoload_with=engine)
        regions = {1: "43０６02", 2: "४३०६०२", 3: "4306¹²", 4: "430602"}
        with engine.begin() as conn:
            for world_id, region in regions.items():
                conn.execute(worlds.insert().values(
                    id=world_id, name=f"w{world_id}", seed=7, region=region, grids=3,
                    spec={"region": region, "grids": 3, "seed_note": "kept"}, summary={},
                    created_at=datetime(2026, 11, 1, tzinfo=UTC)))
        command.upgrade(config, "head")
        with engine.connect() as conn:
            rows = {row.id: row for row in conn.execute(select(worlds))}
    finally:
        engine.dispose()
    assert {n: rows[n].region for n in regions} == {
        1: "430602", 2: "430602", 3: "4306¹²", 4: "430602"}
    assert rows[1].spec == {"region": "430602", "grids": 3, "seed_note": "kept"}
    assert rows[3].spec["region"] == "4306¹²"


# Upgrading a database that holds data ---------------------------------------------------------

def representative_rows() -> dict[str, list[dict]]:
    """One of everything, made by the application's own services on a scratch database at
    head (users and audit, cohort, world, scenario version and play, an exercise with a
    submitted and scored attempt, a draft and a fresh one, its review and notices, a clip with
    its upload, links and watching, a map task, drawing and kept try, an API token), as plain
    rows."""

    from tests.features.live_database import make_attempts
    from trainer.accounts.models import Cohort, Role, User
    from trainer.api import services as api_services
    from trainer.certification import services as certification
    from trainer.certification.models import Certificate
    from trainer.maps.models import MapDrawing, MapTask, MapTry
    from trainer.scenarios.models import ScenarioPlay, ScenarioVersion
    from trainer.video.models import Clip, ClipLink, ClipStatus, Upload, WatchProgress
    from trainer.worlds.models import World

    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    try:
        with Session(engine) as db:
            make_attempts(db)
            cohort = db.scalars(select(Cohort)).one()
            trainer = db.scalars(select(User).where(User.role == Role.TRAINER)).one()
            trainee = cohort.trainees[0]
            examiner, _ = accounts.create_user(db, actor=None, username="examiner",
                                               full_name="Examiner", role=Role.EXAMINER,
                                               password="correct-horse-battery")
            cohort.examiners = [examiner]
            version = db.scalars(select(ScenarioVersion)).one()
            db.add(ScenarioPlay(version=version, user=trainer, seed=7,
                                steps=[{"household": "wang", "action": "greet"}]))
            world = World(name="岳阳楼区", seed=2020, spec={"region": "430602", "grids": 1},
                          region="430602", grids=1, summary={"households": 12})
            clip = Clip(slug="visit", title_zh="入户", title_en="A visit", tags=["visit"],
                        filename="visit.mp4", original_key="clips/1/original.mp4",
                        original_bytes=1234, status=ClipStatus.READY, duration=12.5,
                        width=640, height=360, has_audio=True,
                        renditions={"360p": {"key": "clips/1/r1/360p.mp4", "bytes": 99}},
                        chapters=[{"start": 0.0, "title": "门口"}],
                        captions={"en": "WEBVTT\n"}, published=True, created_by=trainer,
                        processed_at=datetime(2026, 11, 2, 8, 30, tzinfo=UTC))
            clip.cohorts = [cohort]
            db.add_all([world, clip])
            db.flush()
            db.add_all([
                ClipLink(clip=clip, scenario_id="cooperative-family", node="",
                         criterion="opening"),
                WatchProgress(clip=clip, user=trainee, segments=[[0.0, 6.5]], watched=6.5,
                              position=6.5, answers={"q1": 2}),
                Upload(token="t" * 43, filename="next.mp4", title="Next", length=1000,
                       offset=500, created_by=trainer),
            ])
            task = MapTask(cohort=cohort, world=world, grid=0, area=0, rule="serpentine",
                           created_by=trainer)
            db.add(task)
            map_drawing = MapDrawing(task=task, trainee=trainee, saves=3,
                                     geojson={"type": "FeatureCollection", "features": []})
            db.add(map_drawing)
            db.add(MapTry(drawing=map_drawing, number=1, saves=2, result={"total": 0.5},
                          geojson={"type": "FeatureCollection", "features": []},
                          submitted_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC)))
            api_services.create_token(db, owner=examiner, name="Dashboard",
                                      cohort_ids=[cohort.id])
            certification.set_rules(db, actor=trainer, cohort=cohort,
                                    required=[a.id for a in fieldwork_assignments(db)],
                                    minimum_total=60, must_not_fail=["privacy"])
            db.add(Certificate(code="ABCD2345EFGH", cohort=cohort, holder=trainee,
                               holder_name=trainee.full_name, cohort_name=cohort.name,
                               scenarios=[{"id": "cooperative-family", "zh_CN": "合作",
                                           "en": "Cooperative"}], issued_by=trainer,
                               revoked_at=datetime(2026, 11, 3, 9, 0, tzinfo=UTC),
                               revoked_by=trainer, revoke_reason="Issued by mistake."))
            db.commit()
        rows: dict[str, list[dict]] = {}
        with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                rows[table.name] = [
                    {key: value.value if isinstance(value, enum.Enum) else value
                     for key, value in row.items()}
                    for row in conn.execute(table.select()).mappings()]
        return rows
    finally:
        engine.dispose()


def fieldwork_assignments(db: Session) -> list:
    from trainer.fieldwork.models import Assignment

    return list(db.scalars(select(Assignment).order_by(Assignment.id)))


def insert_new_tables(url: str, rows: dict[str, list[dict]], filled: dict[str, set[str]]
                      ) -> None:
    """Insert the rows of every table that exists now and was not filled yet, through the
    schema as it is at this revision (reflected): only the columns it has, a None in a JSON
    column as SQL NULL (as the application's unset columns are). A table that its migration
    filled itself (a backfill: reviews, grades of attempts made before they existed) is not
    inserted into; what the migration made is what must then survive. `filled` maps each
    filled table to the columns compared later (times aside for a backfill)."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            present = MetaData()
            present.reflect(conn)
            for name in [t.name for t in Base.metadata.sorted_tables]:
                if name not in present.tables or name in filled or not rows.get(name):
                    continue
                table = present.tables[name]
                for column in table.c:
                    if isinstance(column.type, JSON):
                        column.type = JSON(none_as_null=True)
                made = [dict(row) for row in conn.execute(table.select()).mappings()]
                if made:
                    rows[name] = made
                    filled[name] = {c.name for c in table.c
                                    if not isinstance(c.type, DateTime)}
                    continue
                columns = {c for c in rows[name][0] if c in table.c}
                conn.execute(table.insert(), [{k: v for k, v in row.items() if k in columns}
                                              for row in rows[name]])
                filled[name] = columns
    finally:
        engine.dispose()


def assert_rows_kept(url: str, rows: dict[str, list[dict]], filled: dict[str, set[str]],
                     tables_to_check: set[str] | None = None) -> None:
    """Every inserted row is there with the values it was given, read through the models'
    column types (aware datetimes, JSON, enums)."""
    tables_to_check = set(filled) if tables_to_check is None else tables_to_check
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            for name in sorted(tables_to_check):
                table = Base.metadata.tables[name]
                key = list(table.primary_key.columns)
                wanted = sorted(filled[name] | {c.name for c in key})  # columns there now
                found = [dict(row) for row in conn.execute(
                    select(*(table.c[c] for c in wanted)).order_by(*key)).mappings()]
                expected = sorted(rows[name], key=lambda r: tuple(r[c.name] for c in key))
                assert len(found) == len(expected), name
                for got, want in zip(found, expected, strict=True):
                    for column in filled[name]:
                        have, value = got[column], want[column]
                        if isinstance(have, enum.Enum):
                            have = have.value
                        assert have == value, (name, column, have, value)
    finally:
        engine.dispose()


def test_upgrade_step_by_step_keeps_data_inserted_at_early_revisions(empty_database_url):
    rows = representative_rows()
    assert all(rows[name] for name in ("users", "cohorts", "scenario_versions", "attempts",
                                       "reviews", "clips", "map_drawings", "api_tokens",
                                       "pass_rules", "pass_rule_assignments", "certificates"))
    url = empty_database_url
    config = alembic_config(url)
    config.attributes["skip_logging"] = True
    scripts = ScriptDirectory.from_config(config)
    revisions = [rev.revision for rev in reversed(list(scripts.walk_revisions()))]
    filled: dict[str, set[str]] = {}
    for revision in revisions:
        command.upgrade(config, revision)
        insert_new_tables(url, rows, filled)
        if revision == revisions[0]:
            assert {"users", "cohorts", "audit_events"} <= set(filled)  # data from the first step
        assert_rows_kept(url, rows, filled)
    # Reviews came from their migration's backfill: one for each attempt submitted before.
    assert filled["reviews"] < set(rows["reviews"][0])
    submitted = {a["id"] for a in rows["attempts"] if a["status"] == "submitted"}
    assert submitted and {r["attempt_id"] for r in rows["reviews"]} == submitted
    if "grades" in rows:  # each graded attempt keeps its score as its first grade
        scored = {a["id"]: a["score"] for a in rows["attempts"] if a["score"] is not None}
        assert {g["attempt_id"]: g["data"] for g in rows["grades"]} == scored
    assert {name for name, found in rows.items() if found} <= set(filled)
    assert schema_drift(url) == []

    # The application reads the upgraded rows: attempts replay from their steps.
    from trainer.fieldwork import services as fieldwork
    from trainer.fieldwork.models import Attempt

    engine = make_engine(url)
    try:
        with Session(engine) as db:
            attempts = db.scalars(select(Attempt).order_by(Attempt.id)).all()
            assert len(attempts) == 3 and any(a.score for a in attempts)
            for attempt in attempts:
                visit = fieldwork.replay_attempt(attempt)
                assert ("wang" in visit.households) if attempt.steps else True
    finally:
        engine.dispose()

    # Down two revisions and up again: the tables that stay keep their rows.
    command.downgrade(config, "-2")
    remaining = set(filled) & tables(url)
    assert {"users", "attempts", "clips"} <= remaining
    assert_rows_kept(url, rows, filled, remaining)
    command.upgrade(config, "head")
    assert_rows_kept(url, rows, filled, remaining)
    assert schema_drift(url) == []
