"""Campaigns end to end with the engine's own outbound plugin: sipp customers hear the shipped
scripts and press keys; the fault's ticket is closed or reopened (and an operator's seat phone
rings with the ticket on the screen-pop); a contact who paid leaves the ladder; the do-not-call
list holds at the dial; a script with errors keeps its campaign from dialling."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from acd.operators import OperatorDesk
from centralino.core import events
from config.loader import ConfigError
from config.secrets import Secrets
from config.settings import Settings
from cti.console.feed import Message
from cti.console.plugin import Console
from cti.console.screen_pop import ScreenPopService
from cti.tickets.store import get_ticket
from outbound import dnc
from outbound.plugin import Outbound
from outbound.store import change_state, mark_contact
from outbound.terms import DncSource

from ..acd.helpers import eventually, record
from ..acd.sipp_seat import seat_phone
from ..conftest import EngineRunner
from .customers import BUSY, HUMAN, MACHINE, PRESSES_2, PRESSES_9, customer_number, customers
from .dialling import (
    FAST,
    NO_RETRY,
    attempts,
    campaign,
    contact,
    contacts,
    dials_per_phone,
    fault_ticket,
    finished,
    until,
)

QUIET_SECONDS = 3.0  # a dial loop that would dial has done so by then (it polls every second)
LADDER = "stages: [{script: payment_reminder, after_days: 7}]\n"
BILL = {"amount_due": "42.50", "due_date": "2026-11-10"}
BROKEN_SCRIPT = """\
version: 1
languages: [it]
entry: {human: ask, machine: ask}
nodes:
  ask:
    prompt: {it: [{tts: "Premi 1"}]}
    options:
      "1": {action: menu, target: nowhere}
"""


async def ticket_status(engine: EngineRunner, code: str) -> str:
    async with engine.sessions() as session:
        ticket = await get_ticket(session, code)
    assert ticket is not None
    return ticket.status


async def test_a_customer_whose_line_works_again_presses_1_and_the_ticket_is_closed(
    engine: EngineRunner, customers_port: int,
) -> None:
    phone = customer_number(HUMAN, 100)
    code = await fault_ticket(engine.sessions, phone, engine.clock.now)
    async with customers(customers_port):
        made = await campaign(engine.sessions, engine.clock.now, [contact(phone, code)])
        await until(lambda: finished(engine.sessions, made), "the campaign finished")
    [attempt] = await attempts(engine.sessions, made)
    assert (attempt.disposition, attempt.keys, attempt.outcome) == ("human", "1", "fixed")
    assert (await contacts(engine.sessions, made))[phone].outcome == "fixed"
    assert await ticket_status(engine, code) == "closed"


async def test_a_customer_whose_line_still_fails_presses_2_reopens_the_ticket_and_rings_an_operator(
    engine: EngineRunner, customers_port: int, settings: Settings, secrets: Secrets,
) -> None:
    phone = customer_number(PRESSES_2, 101)
    code = await fault_ticket(engine.sessions, phone, engine.clock.now)
    rung = record(engine.engine.bus, events.AgentCalled)
    answered = record(engine.engine.bus, events.QueueCallAnswered)
    console = _console(engine).open_console("alice")
    async with (seat_phone(settings, "seat1", secrets.seat_passwords["seat1"]),
                customers(customers_port)):
        await engine.engine.service(OperatorDesk).login("alice", "seat1")
        try:
            made = await campaign(engine.sessions, engine.clock.now, [contact(phone, code)])
            await eventually(lambda: answered, timeout=40, what="alice answers the customer")
            pop = await _next_pop(console.queue)
        finally:
            await _hang_up_seat(engine, "seat1")
            await engine.engine.service(OperatorDesk).logout("alice")
        await until(lambda: finished(engine.sessions, made), "the campaign finished")
    [attempt] = await attempts(engine.sessions, made)
    assert (attempt.keys, attempt.outcome) == ("2", "operator")
    assert await ticket_status(engine, code) == "reopened"
    assert [(call.seat, call.linkedid, call.campaign_ticket) for call in rung] == [
        ("seat1", attempt.linkedid, code)]
    assert (pop["caller_id"], pop["campaign"]) == (phone, "test")
    assert pop["campaign_ticket"]["tracking_code"] == code
    assert pop["campaign_ticket"]["status"] == "reopened"


async def test_a_contact_marked_paid_is_not_called_at_the_ladders_next_stage(
    engine: EngineRunner, customers_port: int,
) -> None:
    paid, unpaid = customer_number(MACHINE, 110), customer_number(MACHINE, 111)
    start = engine.clock.now
    async with customers(customers_port):
        made = await campaign(engine.sessions, start, [contact(paid, **BILL),
                                                        contact(unpaid, **BILL)],
                              extra=FAST + LADDER, script="payment_reminder")
        await until(lambda: _at_stage(engine, made, 1, [paid, unpaid]), "the first stage")
        async with engine.sessions() as session:
            await mark_contact(session, made, paid, "paid", now=engine.clock.now)
        engine.clock.now = start + timedelta(days=7, minutes=1)
        await until(lambda: finished(engine.sessions, made), "the campaign finished")
    rows = await attempts(engine.sessions, made)
    assert [(row.phone, row.stage) for row in rows if row.phone == unpaid] == [(unpaid, 0),
                                                                                (unpaid, 1)]
    assert [(row.phone, row.stage) for row in rows if row.phone == paid] == [(paid, 0)]
    left = await contacts(engine.sessions, made)
    assert (left[paid].status, left[paid].outcome) == ("done", "paid")
    assert (left[unpaid].status, left[unpaid].outcome) == ("done", "message_left")


async def test_a_number_on_the_dnc_list_is_never_dialled_and_pressing_9_puts_one_there(
    engine: EngineRunner, customers_port: int,
) -> None:
    listed, opting_out = customer_number(BUSY, 120), customer_number(PRESSES_9, 121)
    async with customers(customers_port):
        made = await campaign(engine.sessions, engine.clock.now, [listed, opting_out],
                              extra=FAST + NO_RETRY, start=False)
        async with engine.sessions() as session:  # after the import, before the dial
            await dnc.add_numbers(session, [listed], DncSource.CLI, now=engine.clock.now)
        await _start(engine, made)
        await until(lambda: finished(engine.sessions, made), "the first campaign finished")
        again = await campaign(engine.sessions, engine.clock.now, [opting_out],
                               extra=FAST + NO_RETRY)
        await until(lambda: finished(engine.sessions, again), "the second campaign finished")
    rows = await attempts(engine.sessions, made)
    assert dials_per_phone(rows) == {opting_out: 1}
    assert (rows[0].keys, rows[0].outcome) == ("9", "opted_out")
    first = await contacts(engine.sessions, made)
    assert (first[listed].status, first[opting_out].status) == ("dnc", "opted_out")
    async with engine.sessions() as session:
        assert await dnc.is_listed(session, opting_out)
    assert await attempts(engine.sessions, again) == []
    assert (await contacts(engine.sessions, again))[opting_out].status == "dnc"


async def test_a_campaign_whose_script_has_errors_dials_nobody_and_the_errors_are_named(
    engine: EngineRunner, customers_port: int, tmp_path: Path,
) -> None:
    script = tmp_path / "broken.yaml"
    script.write_text(BROKEN_SCRIPT, encoding="utf-8")
    async with customers(customers_port):
        made = await campaign(engine.sessions, engine.clock.now, [customer_number(BUSY, 130)],
                              script=str(script))
        await asyncio.sleep(QUIET_SECONDS)
    assert await attempts(engine.sessions, made) == []
    with pytest.raises(ConfigError, match=r"broken\.yaml:8: .*no node named 'nowhere'"):
        await _outbound(engine).plans.get(str(script))


async def _start(engine: EngineRunner, campaign_id: int) -> None:
    async with engine.sessions() as session:
        await change_state(session, campaign_id, "start", now=engine.clock.now)


async def _at_stage(engine: EngineRunner, campaign_id: int, stage: int,
                    phones: list[str]) -> bool:
    found = await contacts(engine.sessions, campaign_id)
    return all(found[phone].stage == stage and found[phone].status == "pending"
               for phone in phones)


def _console(engine: EngineRunner) -> ScreenPopService:
    return next(domain for domain in engine.engine.domains if isinstance(domain, Console)).pops


def _outbound(engine: EngineRunner) -> Outbound:
    return next(domain for domain in engine.engine.domains if isinstance(domain, Outbound))


async def _next_pop(queue: asyncio.Queue[Message]) -> dict:
    """The pop of the first ``pop`` message a console got."""
    while True:
        message = await asyncio.wait_for(queue.get(), 10)
        if message["type"] == "pop":
            return message["pop"]


async def _hang_up_seat(engine: EngineRunner, seat: str) -> None:
    await engine.engine.ami.send_action({"Action": "Hangup", "Channel": f"/^PJSIP\\/{seat}-/"},
                                        as_list=False)
