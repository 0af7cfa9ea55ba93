"""What the campaign tests share: campaigns made in an engine's database at its clock, their
attempts and contacts read back, polling; and a bare dial loop for the test that needs two
engines' loops on one Asterisk (:func:`dial_loop`)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.calls.service import record_call_started
from centralino.core.db import run_write
from config.campaign import CampaignFile
from config.safe_yaml import parse_yaml
from cti.tickets.store import open_ticket_for_call
from cti.tickets.workflow import resolve
from outbound.attempts import DatabaseAttempts
from outbound.dialer import CampaignDialer, follow_results
from outbound.lists import ContactList, ListContact
from outbound.models import Campaign, CampaignAttempt, CampaignContact
from outbound.pacing import Pacer
from outbound.rules import Budget
from outbound.service import OutboundService
from outbound.store import change_state, create_campaign, import_contacts

from ..conftest import EngineRunner

Sessions = async_sessionmaker[AsyncSession]
BUDGET = Budget(per_day=10, per_week=50)  # the tests retry within a day
FAST = "pacing: {max_channels: 10, calls_per_second: 10}\nring_seconds: 15\n"
NO_RETRY = "retries: {busy: {after_minutes: 30, max: 0}}\n"  # a busy customer is left at once


def contact(phone: str, ticket: str | None = None, **variables: str) -> ListContact:
    """A list row (its line number is not looked at once imported)."""
    return ListContact(phone=phone, line=2, ticket=ticket, variables=variables)


async def campaign(sessions: Sessions, now: datetime, contacts: Sequence[str | ListContact],
                   extra: str = FAST, script: str = "fault_check", start: bool = True) -> int:
    """A campaign calling ``contacts`` (numbers or list rows) with ``script``, made at ``now``
    and started unless ``start`` is false; its id."""
    text = f"version: 1\nname: test\nscript: {script}\n{extra}"
    file = CampaignFile.model_validate(parse_yaml(text)[0])
    rows = [row if isinstance(row, ListContact) else contact(row) for row in contacts]
    async with sessions() as session:
        made = await create_campaign(session, file, text,
                                     [file.script, *(stage.script for stage in file.stages)],
                                     now=now)
        await import_contacts(session, made.id, ContactList(rows, 0), now=now)
        if start:
            await change_state(session, made.id, "start", now=now)
        return made.id


async def fault_ticket(sessions: Sessions, phone: str, at: datetime) -> str:
    """A resolved fault ticket of an earlier call from ``phone``; its tracking code."""
    linkedid = f"fault.{phone.lstrip('+')}"
    async with sessions() as session:
        await run_write(session, record_call_started, linkedid, channel="PJSIP/tollfree-trunk",
                        did="800", at=at, caller_id=phone)
        code = (await open_ticket_for_call(session, linkedid)).tracking_code
        await resolve(session, code, "The line card was replaced.", "technician")
    return code


async def attempts(sessions: Sessions, campaign_id: int) -> list[CampaignAttempt]:
    """The campaign's attempts, oldest first."""
    async with sessions() as session:
        return list((await session.scalars(select(CampaignAttempt).where(
            CampaignAttempt.campaign_id == campaign_id).order_by(CampaignAttempt.id))).all())


async def contacts(sessions: Sessions, campaign_id: int) -> dict[str, CampaignContact]:
    """The campaign's contacts by phone, as stored now."""
    async with sessions() as session:
        rows = (await session.scalars(select(CampaignContact).where(
            CampaignContact.campaign_id == campaign_id)
            .execution_options(populate_existing=True))).all()
    return {row.phone: row for row in rows}


async def state(sessions: Sessions, campaign_id: int) -> str:
    async with sessions() as session:
        found = await session.get(Campaign, campaign_id, populate_existing=True)
    assert found is not None
    return found.state


def dials_per_phone(rows: list[CampaignAttempt]) -> Counter[str]:
    return Counter(row.phone for row in rows)


async def until(check: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    """Poll the coroutine function ``check`` until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = None
    while loop.time() < deadline:
        last = await check()  # type: ignore[misc]
        if last:
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"not within {timeout:g} s: {what}; last: {last!r}")


async def all_ended(sessions: Sessions, campaign_id: int, count: int) -> bool:
    """Whether the campaign has ``count`` attempts or more, all of them ended."""
    rows = await attempts(sessions, campaign_id)
    return len(rows) >= count and all(row.ended_at is not None for row in rows)


async def finished(sessions: Sessions, campaign_id: int) -> bool:
    """Whether the campaign is over: nobody left to call, every attempt ended."""
    return await state(sessions, campaign_id) == "finished"


def dial_loop(engine: EngineRunner, name: str, sessions: Sessions) -> OutboundService:
    """A dial loop on ``engine``'s AMI and clock and on ``sessions``' database, taking its own
    CampaignResult reports (for customers who never answer: no script runs)."""
    settings = engine.settings
    service = OutboundService(
        DatabaseAttempts(sessions, name, BUDGET), CampaignDialer(engine.engine.ami),
        Pacer(settings.outbound), engine.clock, lambda: engine.engine.ami.connected,
        default_caller_id=settings.toll_free.number)
    follow_results(engine.engine.ami, service.on_result)
    return service
