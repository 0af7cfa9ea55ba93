"""Two engines' dial loops on one PostgreSQL dial one campaign together: both dial, nobody is
dialled twice (claims are ``FOR UPDATE SKIP LOCKED``)."""

from __future__ import annotations

import pytest

from centralino.core.cli_support import database_sessions
from outbound.dialer import follow_results

from ..conftest import EngineRunner
from .customers import BUSY, customer_number, customers
from .dialling import all_ended, attempts, campaign, dial_loop, dials_per_phone, until, wire

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_engines_dial_one_campaign_together_and_nobody_twice(
    engine: EngineRunner, customers_port: int, database_url: str,
) -> None:
    phones = [customer_number(BUSY, 40 + n) for n in range(8)]
    async with database_sessions(database_url) as first_db, \
            database_sessions(database_url) as second_db:
        first = dial_loop(engine, "engine-a", first_db)
        second = dial_loop(engine, "engine-b", second_db)
        wire(engine, first)
        follow_results(engine.engine.ami, second.on_result)
        made = await campaign(first_db, engine.clock.now, phones,
                              extra="pacing: {max_channels: 2, calls_per_second: 4}\n")
        async with customers(customers_port):
            await first.start()
            await second.start()
            try:
                await until(lambda: all_ended(first_db, made, len(phones)),
                            "every customer called")
            finally:
                await first.stop()
                await second.stop()
        rows = await attempts(first_db, made)
    assert dials_per_phone(rows) == {phone: 1 for phone in phones}
    assert {row.engine for row in rows} == {"engine-a", "engine-b"}
    assert {row.disposition for row in rows} == {"busy"}

