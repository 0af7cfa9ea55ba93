"""The dial loop beside a test engine, until the lead's plugin wires it: the dialer on the
engine's AMI, the ``campaign`` Stasis entry with the stand-in script, and campaigns made in
the engine's database at the engine's clock."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.dialing import DialReport
from config.campaign import CampaignFile
from config.safe_yaml import parse_yaml
from outbound.attempts import DatabaseAttempts
from outbound.call import ENTRY, CampaignCall, play_and_hang_up
from outbound.dialer import CampaignDialer, follow_results
from outbound.lists import ContactList, ListContact
from outbound.models import CampaignAttempt
from outbound.pacing import Pacer
from outbound.rules import Budget
from outbound.service import OutboundService
from outbound.store import AttemptReport, change_state, create_campaign, import_contacts

from ..conftest import EngineRunner

Sessions = async_sessionmaker[AsyncSession]
BUDGET = Budget(per_day=10, per_week=50)  # the tests retry within a day
FAST = "pacing: {max_channels: 10, calls_per_second: 10}\nring_seconds: 15\n"


class Results:
    """One AMI handler for the test, handing CampaignResults to the service in charge now
    (a killed engine's successor takes the reports of the calls it left)."""

    def __init__(self) -> None:
        self.service: OutboundService | None = None

    def __call__(self, report: DialReport) -> None:
        if self.service is not None:
            self.service.on_result(report)


def dial_loop(engine: EngineRunner, name: str = "engine-a",
              sessions: Sessions | None = None) -> OutboundService:
    """A dial loop on ``engine``'s AMI, clock and (unless given) database."""
    settings = engine.settings
    return OutboundService(
        DatabaseAttempts(sessions or engine.sessions, name, BUDGET),
        CampaignDialer(engine.engine.ami), Pacer(settings.outbound), engine.clock,
        lambda: engine.engine.ami.connected, default_caller_id=settings.toll_free.number)


def wire(engine: EngineRunner, service: OutboundService) -> Results:
    """Reports and answered calls of ``engine`` go to ``service``."""
    results = Results()
    results.service = service
    follow_results(engine.engine.ami, results)
    engine.engine.dispatcher.add_script(ENTRY, CampaignCall(play_and_hang_up, _Answered(results)))
    return results


class _Answered:
    def __init__(self, results: Results) -> None:
        self._results = results

    def answered(self, attempt_id: int) -> None:
        if self._results.service is not None:
            self._results.service.answered(attempt_id)

    async def call_ended(self, attempt_id: int, report: AttemptReport) -> None:
        if self._results.service is not None:
            await self._results.service.call_ended(attempt_id, report)


async def campaign(sessions: Sessions, now: datetime, phones: list[str], extra: str = FAST
                   ) -> int:
    """A running campaign calling ``phones``, made at ``now``; its id."""
    text = f"version: 1\nname: test\nscript: fault_check\n{extra}"
    file = CampaignFile.model_validate(parse_yaml(text)[0])
    async with sessions() as session:
        made = await create_campaign(session, file, text, [file.script], now=now)
        await import_contacts(session, made.id, ContactList(
            [ListContact(phone=phone, line=n + 2) for n, phone in enumerate(phones)], 0),
            now=now)
        await change_state(session, made.id, "start", now=now)
        return made.id


async def attempts(sessions: Sessions, campaign_id: int) -> list[CampaignAttempt]:
    """The campaign's attempts, oldest first."""
    async with sessions() as session:
        return list((await session.scalars(select(CampaignAttempt).where(
            CampaignAttempt.campaign_id == campaign_id).order_by(CampaignAttempt.id))).all())


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
