"""A slow database under a running campaign: PostgreSQL takes half a second over every write
of an attempt (a trigger sleeps in the server), so each claim and each result waits on it and
the dial loop goes at the database's pace; nothing is lost, nobody is dialled twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from centralino.core.sandbox.process import SandboxStatus
from config.settings import Settings

from ..acd.helpers import running
from ..conftest import EngineRunner
from .customers import BUSY, HUMAN, calls_per_number, customer_number, customers
from .dialling import NO_RETRY, attempts, campaign, contacts, dials_per_phone, finished, until

pytestmark = pytest.mark.postgres

SLOW_WRITES = [
    "CREATE TABLE slow_writes (n integer NOT NULL)",
    "INSERT INTO slow_writes VALUES (0)",
    """CREATE FUNCTION slow_write() RETURNS trigger AS $$
       BEGIN UPDATE slow_writes SET n = n + 1; PERFORM pg_sleep(0.5); RETURN NEW; END
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER slow_attempts BEFORE INSERT OR UPDATE ON campaign_attempts
       FOR EACH ROW EXECUTE FUNCTION slow_write()""",
]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_slow_database_slows_the_dialling_and_loses_nothing(
    asterisk: SandboxStatus, settings: Settings, database_url: str, customers_port: int,
    tmp_path: Path,
) -> None:
    phones = {customer_number(BUSY, 60 + n): "busy" for n in range(4)}
    phones |= {customer_number(HUMAN, 70 + n): "human" for n in range(2)}
    trace = tmp_path / "customers.log"
    async with running(EngineRunner(settings.model_copy(update={"database_url": database_url}))
                       ) as engine, customers(customers_port, trace=trace):
        async with engine.sessions() as session:
            for statement in SLOW_WRITES:
                await session.execute(text(statement))
            await session.commit()
        made = await campaign(engine.sessions, engine.clock.now, list(phones),
                              extra="pacing: {max_channels: 3, calls_per_second: 10}\n"
                                    "ring_seconds: 15\n" + NO_RETRY)
        await until(lambda: finished(engine.sessions, made), "the campaign finished",
                    timeout=120)
        rows = await attempts(engine.sessions, made)
        left = await contacts(engine.sessions, made)
        async with engine.sessions() as session:
            slowed = await session.scalar(text("SELECT n FROM slow_writes"))
    assert dials_per_phone(rows) == {phone: 1 for phone in phones}
    assert calls_per_number(trace) == {phone: 1 for phone in phones}
    assert {row.phone: row.disposition for row in rows} == phones
    assert all(row.ended_at is not None for row in rows)
    assert {phone: contact.status for phone, contact in left.items()} == {
        phone: "done" if kind == "human" else "exhausted" for phone, kind in phones.items()}
    assert slowed is not None and slowed >= 2 * len(phones)  # every claim and every result
