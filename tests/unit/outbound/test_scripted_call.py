"""An answered campaign call on a real store: the attempt's contact hears its stage's script,
the result is stored with the keys and outcome, and the contact's ticket gets a note."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.call_session import CallSession
from outbound.attempts import DatabaseAttempts
from outbound.lists import ContactList, ListContact
from outbound.models import CampaignAttempt, CampaignContact
from outbound.rules import Budget
from outbound.scripted_call import HUNG_UP, ScriptedCall, ScriptPlans
from outbound.store import AttemptReport, claim_attempts, finish_attempt, import_contacts
from outbound.terms import ContactStatus

from .campaigns import NOW, running_campaign
from .fakes import Contact, Services, Store

Sessions = async_sessionmaker[AsyncSession]
PHONE = "+393331234567"
FAULT_CHECK = "script: fault_check\n"


async def _answered(sessions: Sessions, extra: str = "") -> int:
    """A fault-check campaign's attempt for a contact with ticket 1234567, claimed; its id."""
    async with sessions() as session:
        campaign = await running_campaign(session, extra=extra)
        campaign.scripts = ["fault_check"]
        await session.commit()
        await import_contacts(session, campaign.id, ContactList(
            [ListContact(phone=PHONE, line=2, ticket="1234567")], 0), now=NOW)
        [claim] = await claim_attempts(session, campaign.id, engine="e1", now=NOW, limit=1,
                                       budget=Budget())
    return claim.attempt_id


class Stored:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    async def __call__(self, attempt_id: int, report: AttemptReport) -> bool:
        async with self.sessions() as session:
            return await finish_attempt(session, attempt_id, report,
                                        now=NOW + timedelta(minutes=1)) is not None


def _call(sessions: Sessions, services: Services) -> ScriptedCall:
    return ScriptedCall(DatabaseAttempts(sessions, "e1", Budget()).context, ScriptPlans(Store()),
                        services, Stored(sessions))


async def _rows(sessions: Sessions) -> tuple[CampaignAttempt, CampaignContact]:
    async with sessions() as session:
        attempt = (await session.scalars(select(CampaignAttempt))).one()
        contact = (await session.scalars(select(CampaignContact))).one()
    return attempt, contact


async def test_a_customer_who_presses_1_is_stored_fixed_with_the_ticket_closed(
        sqlite_sessions: Sessions) -> None:
    attempt_id = await _answered(sqlite_sessions)
    services, channel = Services(), Contact("1")

    await _call(sqlite_sessions, services)(cast(CallSession, channel), attempt_id, "HUMAN",
                                           "HUMAN-800-800")

    attempt, contact = await _rows(sqlite_sessions)
    assert (attempt.disposition, attempt.amd_status, attempt.keys, attempt.outcome) == (
        "human", "HUMAN", "1", "fixed")
    assert (contact.status, contact.outcome) == (ContactStatus.DONE, "fixed")
    assert services.calls[0][:2] == ("close", "1234567")
    assert not any(call[0] == "note" for call in services.calls)  # the close said it all


async def test_a_customer_who_leaves_midway_is_noted_on_the_ticket(sqlite_sessions: Sessions
                                                                    ) -> None:
    attempt_id = await _answered(sqlite_sessions)
    services = Services()

    await _call(sqlite_sessions, services)(cast(CallSession, Contact()), attempt_id, "NOTSURE",
                                           "TOOLONG-3500")

    attempt, _ = await _rows(sqlite_sessions)
    assert (attempt.disposition, attempt.outcome) == ("human", HUNG_UP)
    assert services.calls == [("note", "1234567", "Campaign «reminders»: hung_up")]


async def test_a_machine_hears_nothing_when_the_campaign_hangs_up_on_machines(
        sqlite_sessions: Sessions) -> None:
    attempt_id = await _answered(sqlite_sessions, extra="machine: hang_up\n")
    channel = Contact()

    await _call(sqlite_sessions, Services())(cast(CallSession, channel), attempt_id, "MACHINE",
                                             "LONGGREETING-1500-1500")

    assert channel.played == [] and channel.hangups == 1
    attempt, _ = await _rows(sqlite_sessions)
    assert attempt.ended_at is None  # stored as a machine when the call ends (CampaignCall)


async def test_an_unknown_attempt_is_hung_up(sqlite_sessions: Sessions) -> None:
    channel = Contact("1")
    await _call(sqlite_sessions, Services())(cast(CallSession, channel), 999, "HUMAN", "")
    assert channel.played == [] and channel.hangups == 1
