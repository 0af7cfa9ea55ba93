"""Campaigns, their contacts and attempts in the database. Same convention as the other
stores: each function takes an :class:`AsyncSession` and commits its own unit of work. The dial
loop's per-attempt work (claims, results, an answered call's context) is also a synchronous
function on a :class:`~sqlalchemy.Connection` of Core statements (:func:`claim_due`,
:func:`store_result`, :func:`read_context`), which the engine runs in its group commit.

Nothing is dialled twice: attempts are *claimed* before their ``Originate`` — the contacts move
from ``pending`` to ``calling`` (a conditional update) and the attempt rows are written in one
transaction. On PostgreSQL the due contacts are read ``FOR UPDATE SKIP LOCKED``, so engines
sharing the database claim different contacts; their numbers are then locked for the rest of
the transaction (advisory locks) while their budget across campaigns is checked. The
do-not-call list is read with the due contacts. SQLite has one writer at a time: one engine
claims.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, delete, exists, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from centralino.core.db import insert_unless_duplicate, run_write, table_of
from config.campaign import CampaignFile
from config.safe_yaml import parse_yaml
from outbound.lists import ContactList
from outbound.models import Campaign, CampaignAttempt, CampaignContact, DncNumber
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
#
# The dial loop's writes (a claim, a result) and an answered call's read are Core statements on a
# Connection: each runs in a session (:func:`claim_attempts`, :func:`finish_attempt`,
# :func:`attempt_context`) or as a unit of the engine's group commit (:mod:`outbound.attempts`).

CONTACTS = table_of(CampaignContact)
ATTEMPTS = table_of(CampaignAttempt)
CAMPAIGNS = table_of(Campaign)
DNC = table_of(DncNumber)


class CampaignFiles:
    """Each campaign's :class:`CampaignFile` by id, read once: a campaign's ``definition`` is
    written when it is created and never changed. One per database (ids are per database)."""

    def __init__(self) -> None:
        self._files: dict[int, CampaignFile] = {}

    def get(self, connection: Connection, campaign_id: int) -> CampaignFile:
        """The campaign's file; raises :class:`CampaignNotFound`."""
        file = self._files.get(campaign_id)
        if file is None:
            definition = connection.scalar(select(CAMPAIGNS.c.definition).where(
                CAMPAIGNS.c.id == campaign_id))
            if definition is None:
                raise CampaignNotFound(campaign_id)
            file = self._files[campaign_id] = _parsed(definition)
        return file

    def remember(self, campaign: Campaign) -> None:
        """Keep the file of a campaign read already."""
        self._files.setdefault(campaign.id, campaign_file(campaign))


@dataclass(frozen=True, slots=True)
class ContactState:
    """A contact as an attempt's result left it."""

    id: int
    status: str
    outcome: str | None
    stage: int
    attempts: int
    retries: dict[str, int]
    next_at: datetime
    expires_at: datetime


async def claim_attempts(session: AsyncSession, campaign_id: int, *, engine: str,
                         now: datetime, limit: int, budget: Budget) -> list[Claim]:
    """Claim up to ``limit`` due contacts of a running campaign for dialling now (see
    :func:`claim_due`)."""
    return await run_write(session, claim_due, campaign_id, engine=engine, now=now, limit=limit,
                           budget=budget)


def claim_due(connection: Connection, campaign_id: int, *, engine: str, now: datetime,
              limit: int, budget: Budget) -> list[Claim]:
    """Claim up to ``limit`` due contacts of a running campaign for dialling now, oldest due
    first; the caller commits.

    A contact past its expiry expires; one on the do-not-call list is never dialled (status
    ``dnc``); one whose number used its budget (any campaign) waits until it frees. The whole
    batch is checked with one read of the due contacts (and whether each number is on the
    do-not-call list) and one of their numbers' recent attempts, after their numbers are locked
    on PostgreSQL.
    """
    postgres = connection.dialect.name == "postgresql"
    due = connection.execute(_DUE_LOCKED if postgres else _DUE, {
        "campaign": campaign_id, "now": now, "limit": limit}).all()
    if not due:
        return []
    phones = sorted({row.phone for row in due})
    if postgres:  # each number's budget is read and spent by one claimer at a time
        connection.execute(_LOCK_NUMBERS, {"phones": phones})
    recent: dict[str, list[datetime]] = {phone: [] for phone in phones}
    for phone, started_at in connection.execute(_RECENT, {
            "phones": phones, "since": now - timedelta(days=7)}):
        recent[phone].append(started_at)
    expired, listed, waiting, dialable = [], [], [], []
    for row in due:
        if row.expires_at <= now:
            expired.append(row.id)
        elif row.listed:
            listed.append(row.id)
        elif (frees := budget_frees_at(budget, recent[row.phone], now)) is not None:
            waiting.append({"contact": row.id, "next_at": frees, "updated_at": now})
        else:
            dialable.append(row)
            recent[row.phone].append(now)  # spent, for a number twice in the batch
    for ids, status in ((expired, ContactStatus.EXPIRED), (listed, ContactStatus.DNC)):
        if ids:
            connection.execute(_SET_PENDING, {"ids": ids, "status": status.value,
                                              "updated_at": now})
    if waiting:
        connection.execute(_WAIT_FOR_BUDGET, waiting)
    if not dialable:
        return []
    # SQLite's engines read without row locks: the conditional update keeps claimers apart.
    taken = set(connection.scalars(_TAKE, {"ids": [row.id for row in dialable],
                                           "status": ContactStatus.CALLING.value,
                                           "updated_at": now}))
    claimed = [row for row in dialable if row.id in taken]
    if not claimed:
        return []
    attempt_ids = connection.scalars(_NEW_ATTEMPTS, [
        {"campaign_id": campaign_id, "contact_id": row.id, "phone": row.phone,
         "stage": row.stage, "engine": engine, "started_at": now, "keys": "", "survey": {}}
        for row in claimed]).all()
    return [Claim(attempt_id, campaign_id, row.id, row.phone, row.stage)
            for attempt_id, row in zip(attempt_ids, claimed, strict=True)]


# The hot paths' statements are built once: per call only their parameters change (building a
# statement and its cache key cost more than running it on SQLite).
_DUE = (select(CONTACTS.c.id, CONTACTS.c.phone, CONTACTS.c.stage, CONTACTS.c.expires_at,
               DNC.c.phone.is_not(None).label("listed"))
        .select_from(CONTACTS.outerjoin(DNC, DNC.c.phone == CONTACTS.c.phone))
        .where(CONTACTS.c.campaign_id == bindparam("campaign"),
               CONTACTS.c.status == ContactStatus.PENDING.value,
               CONTACTS.c.next_at <= bindparam("now", type_=CONTACTS.c.next_at.type),
               exists().where(CAMPAIGNS.c.id == bindparam("campaign"),
                              CAMPAIGNS.c.state == CampaignState.RUNNING.value))
        .order_by(CONTACTS.c.next_at, CONTACTS.c.id).limit(bindparam("limit")))
_DUE_LOCKED = _DUE.with_for_update(of=CONTACTS, skip_locked=True)

_RECENT = (select(ATTEMPTS.c.phone, ATTEMPTS.c.started_at)
           .where(ATTEMPTS.c.phone.in_(bindparam("phones", expanding=True)),
                  ATTEMPTS.c.started_at > bindparam("since", type_=ATTEMPTS.c.started_at.type))
           .order_by(ATTEMPTS.c.started_at))

_PENDING_IN = (CONTACTS.c.id.in_(bindparam("ids", expanding=True)),
               CONTACTS.c.status == ContactStatus.PENDING.value)
_SET_PENDING = update(CONTACTS).where(*_PENDING_IN)  # SET from the parameters' other keys
_TAKE = update(CONTACTS).where(*_PENDING_IN).returning(CONTACTS.c.id)
_NEW_ATTEMPTS = insert(ATTEMPTS).returning(ATTEMPTS.c.id, sort_by_parameter_order=True)

# One statement for a batch, in one order (the locks' keys): no deadlock between claimers.
_LOCK_NUMBERS = text(
    "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtext(p) AS k "
    "FROM unnest(CAST(:phones AS text[])) AS p) AS keys ORDER BY k")

_WAIT_FOR_BUDGET = update(CONTACTS).where(CONTACTS.c.id == bindparam("contact"),
                                          CONTACTS.c.status == ContactStatus.PENDING.value)


async def release_claims(session: AsyncSession, attempt_ids: Sequence[int]) -> int:
    """Give back claims that were never dialled (see :func:`release_undialled`)."""
    return await run_write(session, release_undialled, attempt_ids)


def release_undialled(connection: Connection, attempt_ids: Sequence[int]) -> int:
    """Give back claimed attempts whose ``Originate`` was never sent (the window closed, AMI
    went down before their turn in a batch): their rows go, their contacts are due again. How
    many were given back; the caller commits."""
    if not attempt_ids:
        return 0
    contact_ids = list(connection.scalars(delete(ATTEMPTS).where(
        ATTEMPTS.c.id.in_(attempt_ids), ATTEMPTS.c.ended_at.is_(None))
        .returning(ATTEMPTS.c.contact_id)))
    if contact_ids:
        connection.execute(update(CONTACTS).where(
            CONTACTS.c.id.in_(contact_ids), CONTACTS.c.status == ContactStatus.CALLING.value)
            .values(status=ContactStatus.PENDING.value))
    return len(contact_ids)


async def finish_attempt(session: AsyncSession, attempt_id: int, report: AttemptReport, *,
                         now: datetime, files: CampaignFiles | None = None
                         ) -> ContactState | None:
    """Store how the attempt ended and move its contact on (see :func:`store_result`)."""
    return await run_write(session, store_result, attempt_id, report, now=now,
                           files=files or CampaignFiles())


def store_result(connection: Connection, attempt_id: int, report: AttemptReport, *,
                 now: datetime, files: CampaignFiles) -> ContactState | None:
    """Store how the attempt ended and move its contact on (done, retry, next stage...); the
    contact as it is now. ``None`` if the attempt is unknown or already finished (a result
    reported twice changes nothing). The caller commits."""
    ended = connection.execute(_END_ATTEMPT, {
        "attempt": attempt_id, "ended_at": now, "disposition": report.disposition.value,
        "dial_status": report.dial_status, "hangup_cause": report.hangup_cause,
        "amd_status": report.amd_status, "amd_cause": report.amd_cause,
        "answered_at": report.answered_at, "linkedid": report.linkedid,
        "keys": report.keys[:64], "outcome": report.outcome, "survey": report.survey}).first()
    if ended is None:
        return None
    postgres = connection.dialect.name == "postgresql"
    contact = ContactState(*connection.execute(_STATE_LOCKED if postgres else _STATE, {
        "contact": ended.contact_id}).one())
    if contact.status != ContactStatus.CALLING.value:  # marked done meanwhile
        return contact
    progress = after_attempt(
        files.get(connection, ended.campaign_id),
        ContactProgress(ContactStatus(contact.status), contact.outcome, contact.stage,
                        contact.attempts, dict(contact.retries or {}), contact.next_at),
        AttemptEnd(report.disposition, report.outcome, report.opted_out), now,
        contact.expires_at)
    connection.execute(_MOVE_CONTACT, {
        "contact": contact.id, "status": progress.status.value, "outcome": progress.outcome,
        "stage": progress.stage, "attempts": progress.attempts, "retries": progress.retries,
        "next_at": progress.next_at, "updated_at": now})
    return ContactState(contact.id, progress.status.value, progress.outcome, progress.stage,
                        progress.attempts, progress.retries, progress.next_at,
                        contact.expires_at)


_END_ATTEMPT = (update(ATTEMPTS)  # SET from the parameters but "attempt"
                .where(ATTEMPTS.c.id == bindparam("attempt"), ATTEMPTS.c.ended_at.is_(None))
                .returning(ATTEMPTS.c.contact_id, ATTEMPTS.c.campaign_id))
_STATE = select(CONTACTS.c.id, CONTACTS.c.status, CONTACTS.c.outcome, CONTACTS.c.stage,
                CONTACTS.c.attempts, CONTACTS.c.retries, CONTACTS.c.next_at,
                CONTACTS.c.expires_at).where(CONTACTS.c.id == bindparam("contact"))
_STATE_LOCKED = _STATE.with_for_update()
_MOVE_CONTACT = update(CONTACTS).where(CONTACTS.c.id == bindparam("contact"))


async def attempt_context(session: AsyncSession, attempt_id: int, *,
                          files: CampaignFiles | None = None) -> AttemptContext | None:
    """What the script of attempt ``attempt_id`` needs; ``None`` for an unknown attempt."""
    connection = await session.connection()
    return await connection.run_sync(read_context, attempt_id, files or CampaignFiles())


def read_context(connection: Connection, attempt_id: int,
                 files: CampaignFiles) -> AttemptContext | None:
    """:func:`attempt_context` in one read (two the first time a campaign is seen)."""
    row = connection.execute(_CONTEXT, {"attempt": attempt_id}).first()
    if row is None:
        return None
    file = files.get(connection, row.campaign_id)
    return AttemptContext(attempt_id, row.campaign_id, row.name, file,
                          row.scripts[min(row.stage, len(row.scripts) - 1)], row.phone,
                          row.ticket, row.language or file.language, dict(row.variables or {}))


_CONTEXT = (select(ATTEMPTS.c.campaign_id, ATTEMPTS.c.stage, CAMPAIGNS.c.name,
                   CAMPAIGNS.c.scripts, CONTACTS.c.phone, CONTACTS.c.ticket, CONTACTS.c.language,
                   CONTACTS.c.variables)
            .select_from(ATTEMPTS.join(CONTACTS, CONTACTS.c.id == ATTEMPTS.c.contact_id)
                         .join(CAMPAIGNS, CAMPAIGNS.c.id == ATTEMPTS.c.campaign_id))
            .where(ATTEMPTS.c.id == bindparam("attempt")))


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
