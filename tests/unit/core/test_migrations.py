"""The schema: created by ``upgrade head`` on an empty database, in step with the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from centralino.app.schema import metadata
from centralino.core.db import alembic_config, create_engine, upgrade_database

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


async def _inspect(url: str) -> tuple[set[str], str | None]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            version = await conn.run_sync(
                lambda c: MigrationContext.configure(c).get_current_revision())
    finally:
        await engine.dispose()
    return tables, version


async def test_upgrade_on_an_empty_database_creates_the_tables(database_url: str) -> None:
    await upgrade_database(database_url)
    tables, version = await _inspect(database_url)
    assert {"calls", "tickets", "alembic_version"} <= tables
    assert version == HEAD


async def test_upgrading_twice_changes_nothing_and_keeps_the_rows(database_url: str) -> None:
    await upgrade_database(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO calls (linkedid, channel, did, started_at, disposition) "
                "VALUES ('keep.1', 'PJSIP/x', '800', CURRENT_TIMESTAMP, 'in_progress')"))
        await upgrade_database(database_url)
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM calls"))).scalar() == 1
    finally:
        await engine.dispose()
    assert (await _inspect(database_url))[1] == HEAD


async def test_the_migrations_match_the_models(database_url: str) -> None:
    await upgrade_database(database_url)

    def differences(conn: Connection) -> list[object]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(differences)
    finally:
        await engine.dispose()
    assert diff == []


async def test_the_default_relative_sqlite_path_works_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no alembic.ini here; the var/ directory does not exist yet
    await upgrade_database("sqlite+aiosqlite:///var/centralino.db")
    assert (tmp_path / "var" / "centralino.db").is_file()


async def test_constraints_carry_the_names_of_the_naming_convention(database_url: str) -> None:
    await upgrade_database(database_url)

    def names(conn: Connection) -> dict[str, set[str | None]]:
        inspector = inspect(conn)
        return {
            "calls": {c["name"] for c in inspector.get_check_constraints("calls")}
            | {c["name"] for c in inspector.get_unique_constraints("calls")}
            | {i["name"] for i in inspector.get_indexes("calls")},
            "tickets": {c["name"] for c in inspector.get_unique_constraints("tickets")}
            | {f["name"] for f in inspector.get_foreign_keys("tickets")}
            | {i["name"] for i in inspector.get_indexes("tickets")},
        }

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(names)
    finally:
        await engine.dispose()
    assert found["calls"] >= {"ck_calls_disposition", "uq_calls_linkedid", "ix_calls_started_at"}
    assert found["tickets"] >= {"uq_tickets_tracking_code", "uq_tickets_call_linkedid",
                                "fk_tickets_call_linkedid_calls", "ix_tickets_created_at",
                                "ix_tickets_status"}
