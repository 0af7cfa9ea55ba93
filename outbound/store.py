"""Campaigns, their contacts and attempts in the database. Same convention as the other
stores: each function takes an :class:`AsyncSession` and commits its own unit of work.

Nothing is dialled twice: an attempt is *claimed* before its ``Originate`` — the contact moves
from ``pending`` to ``calling`` and the attempt row is written in one transaction. On
PostgreSQL the due contacts are read ``FOR UPDATE SKIP LOCKED``, so engines sharing the
database claim different contacts; each number is then locked for the rest of the
transaction (an advisory lock) while its do-not-call entry and its budget across campaigns
are checked. SQLite has one writer at a time: one engine claims.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from centralino.core.db import insert_unless_duplicate, table_of
from config.campaign import CampaignFile
from config.safe_yaml import parse_yaml
from outbound.dnc import is_listed
from outbound.lists import ContactList
from outbound.models import Campaign, CampaignAttempt, CampaignContact
from outbound.rules import AttemptEnd, Budget, ContactProgress, after_attempt, budget_frees_at
from outbound.terms import CampaignState, ContactStatus, Disposition

CHUNK = 500  # contacts per statement on import


class CampaignNotFound(LookupError):
    def __init__(self, campaign_id: int) -> None:
        super().__init__(f"no campaign {campaign_id}")


class CampaignStateError(Exception):
    """The campaign cannot make that move from the state it is in."""


class ContactNotFound(LookupError):
    pass


# action -> (the states it may start from, the state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[CampaignState], CampaignState]] = {
    "start": (frozenset({CampaignState.DRAFT}), CampaignState.RUNNING),
    "pause": (frozenset({CampaignState.RUNNING}), CampaignState.PAUSED),
    "resume": (frozenset({CampaignState.PAUSED}), CampaignState.RUNNING),
    "stop": (frozenset({CampaignState.DRAFT, CampaignState.RUNNING, CampaignState.PAUSED}),
             CampaignState.STOPPED),
}


@dataclass(frozen=True, slots=True)
class ImportCounts:
    imported: int  # contacts added
    merged: int  # rows whose number the list had already, or the campaign had


@dataclass(frozen=True, slots=True)
class Claim:
    """An attempt claimed for dialling."""

    attempt_id: int
    campaign_id: int
    contact_id: int
    phone: str
    stage: int


@dataclass(frozen=True, slots=True)
class AttemptReport:
    """How an attempt ended: the network's part and, for an answered call, the script's."""

    disposition: Disposition
    dial_status: str | None = None
    hangup_cause: int | None = None
    amd_status: str | None = None
    amd_cause: str | None = None
    answered_at: datetime | None = None
    linkedid: str | None = None
    keys: str = ""
    outcome: str | None = None
    survey: dict[str, int] = field(default_factory=dict)
    opted_out: bool = False


@dataclass(frozen=True, slots=True)
class AttemptContext:
    """What an answered attempt's script needs to know."""

    attempt_id: int
    campaign_id: int
    campaign_name: str
    file: CampaignFile
    script: str
    phone: str
    ticket: str | None
    language: str
    variables: dict[str, str]


@functools.lru_cache(maxsize=64)
def _parsed(definition: str) -> CampaignFile:
    data, _ = parse_yaml(definition)
    return CampaignFile.model_validate(data)


def campaign_file(campaign: Campaign) -> CampaignFile:
    """The campaign's file, as stored (checked when the campaign was made)."""
    return _parsed(campaign.definition)


# -- campaigns ----------------------------------------------------------------------------------


async def create_campaign(session: AsyncSession, file: CampaignFile, definition: str,
                          scripts: Sequence[str], *, now: datetime,
                          created_by: str | None = None) -> Campaign:
    """Store a new campaign (``draft``) from its checked ``file`` and its text; ``scripts``
    are each stage's script as resolved (shipped names or absolute paths)."""
    campaign = Campaign(name=file.name, scripts=list(scripts), state=CampaignState.DRAFT.value,
                        definition=definition, created_by=created_by, created_at=now,
                        updated_at=now)
    session.add(campaign)
    await session.commit()
    return campaign


async def get_campaign(session: AsyncSession, campaign_id: int) -> Campaign:
    campaign = await session.get(Campaign, campaign_id, populate_existing=True)
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    return campaign


async def list_campaigns(session: AsyncSession,
                         states: Sequence[CampaignState] = ()) -> list[Campaign]:
    """Campaigns in ``states`` (all if empty), newest first."""
    query = select(Campaign).order_by(Campaign.id.desc())
    if states:
        query = query.where(Campaign.state.in_([state.value for state in states]))
    return list((await session.scalars(query.execution_options(populate_existing=True))).all())


async def change_state(session: AsyncSession, campaign_id: int, action: str, *,
                       now: datetime) -> Campaign:
    """``start``, ``pause``, ``resume`` or ``stop`` the campaign.

    Raises :class:`CampaignNotFound`, or :class:`CampaignStateError` saying why not.
    """
    sources, target = TRANSITIONS[action]
    values: dict[str, object] = {"state": target.value, "updated_at": now}
    if action == "start":
        values["started_at"] = now
    if action == "stop":
        values["ended_at"] = now
    moved = await session.execute(update(Campaign).where(
        Campaign.id == campaign_id, Campaign.state.in_([s.value for s in sources])).values(values))
    await session.commit()
    campaign = await get_campaign(session, campaign_id)
    if not moved.rowcount:  # type: ignore[attr-defined]
        raise CampaignStateError(f"campaign {campaign_id} is {campaign.state}: cannot {action} it")
    return campaign


async def finish_if_done(session: AsyncSession, campaign_id: int, *, now: datetime) -> bool:
    """Mark a running campaign ``finished`` once no contact is left to call, or its
    ``end_at`` passed (its waiting contacts expire); True if it was finished now."""
    campaign = await get_campaign(session, campaign_id)
    if campaign.state != CampaignState.RUNNING.value:
        return False
    file = campaign_file(campaign)
    if file.end_at is not None and now >= file.end_at:
        await session.execute(update(CampaignContact).where(
            CampaignContact.campaign_id == campaign_id,
            CampaignContact.status == ContactStatus.PENDING.value)
            .values(status=ContactStatus.EXPIRED.value, updated_at=now))
    elif await session.scalar(select(exists().where(
            CampaignContact.campaign_id == campaign_id,
            CampaignContact.status.in_([ContactStatus.PENDING.value,
                                        ContactStatus.CALLING.value])))):
        return False
    finished = await session.execute(update(Campaign).where(
        Campaign.id == campaign_id, Campaign.state == CampaignState.RUNNING.value,
        ~exists().where(CampaignContact.campaign_id == campaign_id,
                        CampaignContact.status == ContactStatus.CALLING.value))
        .values(state=CampaignState.FINISHED.value, ended_at=now, updated_at=now))
    await session.commit()
    return bool(finished.rowcount)  # type: ignore[attr-defined]


# -- contacts -----------------------------------------------------------------------------------


async def import_contacts(session: AsyncSession, campaign_id: int, contacts: ContactList, *,
                          now: datetime, expires_at: datetime | None = None) -> ImportCounts:
    """Add the list's contacts to the campaign, each due at once (or at the campaign's
    ``start_at``) and expiring ``expire_days`` later (or at ``expires_at``). A number the
    campaign has already is not added again. A finished campaign runs again for them.

    Raises :class:`CampaignNotFound`, or :class:`CampaignStateError` for a stopped campaign.
    """
    campaign = await get_campaign(session, campaign_id)
    if campaign.state == CampaignState.STOPPED.value:
        raise CampaignStateError(f"campaign {campaign_id} is stopped: it takes no contacts")
    file = campaign_file(campaign)
    due = max(now, file.start_at) if file.start_at is not None else now
    expiry = expires_at or now + timedelta(days=file.expire_days)
    insert = insert_unless_duplicate(session, table_of(CampaignContact))
    before = await _contact_count(session, campaign_id)
    for start in range(0, len(contacts.contacts), CHUNK):
        await session.execute(insert, [
            {"campaign_id": campaign_id, "phone": contact.phone, "ticket": contact.ticket,
             "language": contact.language, "variables": contact.variables,
             "status": ContactStatus.PENDING.value, "stage": 0, "attempts": 0, "retries": {},
             "next_at": due, "expires_at": expiry, "created_at": now, "updated_at": now}
            for contact in contacts.contacts[start:start + CHUNK]])
    imported = await _contact_count(session, campaign_id) - before
    if imported and campaign.state == CampaignState.FINISHED.value:
        await session.execute(update(Campaign).where(Campaign.id == campaign_id).values(
            state=CampaignState.RUNNING.value, ended_at=None, updated_at=now))
    await session.commit()
    return ImportCounts(imported, contacts.merged + len(contacts.contacts) - imported)


async def mark_contact(session: AsyncSession, campaign_id: int, phone: str, outcome: str, *,
                       now: datetime) -> CampaignContact:
    """Mark the contact done with ``outcome`` (``paid``): it leaves the campaign and its ladder
    at once, even between retries; a call in flight ends without a retry.

    Raises :class:`ContactNotFound`.
    """
    contact = await session.scalar(select(CampaignContact).where(
        CampaignContact.campaign_id == campaign_id, CampaignContact.phone == phone)
        .execution_options(populate_existing=True))
    if contact is None:
        raise ContactNotFound(f"campaign {campaign_id} has no contact {phone}")
    contact.status, contact.outcome, contact.updated_at = ContactStatus.DONE.value, outcome, now
    await session.commit()
    return contact


async def _contact_count(session: AsyncSession, campaign_id: int) -> int:
    return await session.scalar(select(func.count()).select_from(CampaignContact).where(
        CampaignContact.campaign_id == campaign_id)) or 0


# -- attempts -----------------------------------------------------------------------------------


async def claim_attempts(session: AsyncSession, campaign_id: int, *, engine: str,
                         now: datetime, limit: int, budget: Budget) -> list[Claim]:
    """Claim up to ``limit`` due contacts of a running campaign for dialling now.

    A contact past its expiry expires; one on the do-not-call list is never dialled (status
    ``dnc``); one whose number used its budget (any campaign) waits until it frees.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    query = (select(CampaignContact)
             .where(CampaignContact.campaign_id == campaign_id,
                    CampaignContact.status == ContactStatus.PENDING.value,
                    CampaignContact.next_at <= now,
                    exists().where(Campaign.id == campaign_id,
                                   Campaign.state == CampaignState.RUNNING.value))
             .order_by(CampaignContact.next_at, CampaignContact.id).limit(limit)
             .execution_options(populate_existing=True))
    if postgres:
        query = query.with_for_update(of=CampaignContact, skip_locked=True)
    due = list((await session.scalars(query)).all())
    attempts: list[CampaignAttempt] = []
    for contact in sorted(due, key=lambda c: c.phone):  # one lock order: no deadlock
        if postgres:
            await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(contact.phone))))
        if await _skip(session, contact, now, budget) or not await _take(session, contact, now):
            continue
        attempt = CampaignAttempt(campaign_id=campaign_id, contact_id=contact.id,
                                  phone=contact.phone, stage=contact.stage, engine=engine,
                                  started_at=now, keys="", survey={})
        session.add(attempt)
        attempts.append(attempt)
    await session.commit()
    return [Claim(a.id, a.campaign_id, a.contact_id, a.phone, a.stage) for a in attempts]


async def _take(session: AsyncSession, contact: CampaignContact, now: datetime) -> bool:
    """Move the contact to ``calling`` unless another claimer did first (SQLite's engines
    read without row locks: the conditional update is what keeps them apart)."""
    taken = await session.execute(update(CampaignContact).where(
        CampaignContact.id == contact.id,
        CampaignContact.status == ContactStatus.PENDING.value).values(
        status=ContactStatus.CALLING.value, updated_at=now)
        .execution_options(synchronize_session=False))
    return bool(taken.rowcount)  # type: ignore[attr-defined]


async def _skip(session: AsyncSession, contact: CampaignContact, now: datetime,
                budget: Budget) -> bool:
    """Whether the contact may not be dialled now (its row is moved on if so)."""
    if contact.expires_at <= now:
        contact.status = ContactStatus.EXPIRED.value
    elif await is_listed(session, contact.phone):
        contact.status = ContactStatus.DNC.value
    else:
        recent = (await session.scalars(select(CampaignAttempt.started_at).where(
            CampaignAttempt.phone == contact.phone,
            CampaignAttempt.started_at > now - timedelta(days=7))
            .order_by(CampaignAttempt.started_at))).all()
        frees = budget_frees_at(budget, recent, now)
        if frees is None:
            return False
        contact.next_at = frees
    contact.updated_at = now
    return True


async def finish_attempt(session: AsyncSession, attempt_id: int, report: AttemptReport, *,
                         now: datetime) -> CampaignContact | None:
    """Store how the attempt ended and move its contact on (done, retry, next stage...).
    ``None`` if the attempt is unknown or already finished (a result reported twice)."""
    ended = await session.execute(update(CampaignAttempt).where(
        CampaignAttempt.id == attempt_id, CampaignAttempt.ended_at.is_(None)).values(
        ended_at=now, disposition=report.disposition.value, dial_status=report.dial_status,
        hangup_cause=report.hangup_cause, amd_status=report.amd_status,
        amd_cause=report.amd_cause, answered_at=report.answered_at, linkedid=report.linkedid,
        keys=report.keys[:64], outcome=report.outcome, survey=report.survey))
    if not ended.rowcount:  # type: ignore[attr-defined]
        await session.commit()  # nothing written; a rollback would expire the caller's rows
        return None
    attempt = await session.get(CampaignAttempt, attempt_id, populate_existing=True)
    assert attempt is not None
    contact = await session.get(CampaignContact, attempt.contact_id, populate_existing=True,
                                with_for_update=session.get_bind().dialect.name == "postgresql")
    assert contact is not None
    if contact.status == ContactStatus.CALLING.value:  # not marked done meanwhile
        campaign = await get_campaign(session, attempt.campaign_id)
        progress = after_attempt(
            campaign_file(campaign),
            ContactProgress(ContactStatus(contact.status), contact.outcome, contact.stage,
                            contact.attempts, dict(contact.retries or {}), contact.next_at),
            AttemptEnd(report.disposition, report.outcome, report.opted_out), now,
            contact.expires_at)
        contact.status, contact.outcome = progress.status.value, progress.outcome
        contact.stage, contact.attempts = progress.stage, progress.attempts
        contact.retries, contact.next_at = progress.retries, progress.next_at
        contact.updated_at = now
    await session.commit()
    return contact


async def attempt_context(session: AsyncSession, attempt_id: int) -> AttemptContext | None:
    """What the script of attempt ``attempt_id`` needs; ``None`` for an unknown attempt."""
    row = (await session.execute(
        select(CampaignAttempt, CampaignContact, Campaign)
        .join(CampaignContact, CampaignContact.id == CampaignAttempt.contact_id)
        .join(Campaign, Campaign.id == CampaignAttempt.campaign_id)
        .where(CampaignAttempt.id == attempt_id))).first()
    if row is None:
        return None
    attempt, contact, campaign = row
    file = campaign_file(campaign)
    return AttemptContext(attempt.id, campaign.id, campaign.name, file,
                          campaign.scripts[min(attempt.stage, len(campaign.scripts) - 1)],
                          contact.phone, contact.ticket, contact.language or file.language,
                          dict(contact.variables or {}))


@dataclass(frozen=True, slots=True)
class Unfinished:
    """An attempt nobody reported on yet."""

    attempt_id: int
    phone: str
    started_at: datetime


async def unfinished_attempts(session: AsyncSession, started_before: datetime
                              ) -> list[Unfinished]:
    """The attempts started before ``started_before`` that have no result yet, oldest first."""
    rows = await session.execute(select(
        CampaignAttempt.id, CampaignAttempt.phone, CampaignAttempt.started_at).where(
        CampaignAttempt.ended_at.is_(None), CampaignAttempt.started_at < started_before)
        .order_by(CampaignAttempt.id))
    return [Unfinished(*row) for row in rows]
