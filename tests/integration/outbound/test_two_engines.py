"""Two engines' dial loops on one PostgreSQL dial one campaign together: both dial, nobody is
dialled twice (claims are ``FOR UPDATE SKIP LOCKED``).

What is simulated: the two engines are two dial loops (:func:`.dialling.dial_loop`), each
with its own name and its own connection pool to the database, beside one engine on one
Asterisk. Two whole engines cannot share one sandbox Asterisk: they would register the same
ARI application (res_stasis keeps one handler per application name: the second engine's
WebSocket replaces the first's, which then gets no calls) and the same web port. The dialling
and the claims, what this test is about, are the real ones; the customers are busy, so no
call needs a script.
"""

from __future__ import annotations

import pytest

from centralino.core.cli_support import database_sessions

from ..conftest import EngineRunner
from .customers import BUSY, customer_number, customers
from .dialling import all_ended, attempts, campaign, dial_loop, dials_per_phone, until

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_engines_dial_one_campaign_together_and_nobody_twice(
    bare_engine: EngineRunner, customers_port: int, database_url: str,
) -> None:
    phones = [customer_number(BUSY, 40 + n) for n in range(8)]
    async with database_sessions(database_url) as first_db, \
            database_sessions(database_url) as second_db:
        first = dial_loop(bare_engine, "engine-a", first_db)
        second = dial_loop(bare_engine, "engine-b", second_db)
        made = await campaign(first_db, bare_engine.clock.now, phones,
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
