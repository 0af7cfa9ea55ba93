"""The dial loop on a real (SQLite) store, a recording dialer and a clock the tests move: the
window checked at every dial, results stored, slots freed, lost attempts failed once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.ami import AmiConnectionLost, AmiUnavailable
from centralino.core.dialing import DialFailed, DialReport
from config.settings import OutboundSettings
from outbound.attempts import DatabaseAttempts
from outbound.models import CampaignAttempt, CampaignContact
from outbound.pacing import Pacer
from outbound.rules import Budget
from outbound.service import LOST_AFTER, OutboundService, RunningCampaign
from outbound.store import AttemptReport, Claim
from outbound.terms import Disposition

from .campaigns import NOW, running_campaign

Sessions = async_sessionmaker[AsyncSession]
FAST = "pacing: {max_channels: 10, calls_per_second: 50}\nring_seconds: 15\n"
PHONE = "+393331234567"
SUNDAY = datetime(2026, 12, 6, 11, 0, tzinfo=NOW.tzinfo)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Dialer:
    def __init__(self) -> None:
        self.dials: list[tuple[int, str, int, str]] = []
        self.error: Exception | None = None
        self.ended: set[str] = set()  # numbers whose calls Asterisk no longer has
        self.asking_fails = False

    async def numbers_in_calls(self) -> set[str]:
        if self.asking_fails:
            raise AmiUnavailable("not connected")
        return {number for _, number, _, _ in self.dials} - self.ended

    async def dial(self, attempt_id: int, number: str, *, ring_seconds: int, caller_id: str,
                   campaign_id: int) -> None:
        self.dials.append((attempt_id, number, ring_seconds, caller_id))
        if self.error is not None:
            raise self.error


class Rig:
    def __init__(self, sessions: Sessions, now: datetime) -> None:
        self.sessions = sessions
        self.clock = Clock(now)
        self.dialer = Dialer()
        self.ami_up = True
        self.pacer = Pacer(OutboundSettings(max_channels=100, calls_per_second=100))
        self.store = DatabaseAttempts(sessions, "engine-a", Budget(per_day=10, per_week=50))
        self.service = OutboundService(self.store, self.dialer, self.pacer, self.clock,
                                       lambda: self.ami_up, default_caller_id="800100100")

    async def campaign(self) -> RunningCampaign:
        [campaign] = await self.store.running_campaigns()
        return campaign

    async def attempts(self) -> list[CampaignAttempt]:
        async with self.sessions() as session:
            return list((await session.scalars(select(CampaignAttempt)
                                               .order_by(CampaignAttempt.id))).all())

    async def contact(self) -> CampaignContact:
        async with self.sessions() as session:
            return (await session.scalars(select(CampaignContact))).one()


@pytest.fixture
async def rig(sqlite_sessions: Sessions) -> AsyncIterator[Rig]:
    async with sqlite_sessions() as session:
        await running_campaign(session, PHONE, extra=FAST)
    rig = Rig(sqlite_sessions, NOW)
    yield rig
    await rig.service.stop()


async def test_a_due_contact_is_dialled_once_with_the_campaigns_ring_and_caller_id(
    rig: Rig,
) -> None:
    campaign = await rig.campaign()

    assert await rig.service.dial_next(campaign)
    assert not await rig.service.dial_next(campaign)  # nothing else is due
    [attempt] = await rig.attempts()
    assert rig.dialer.dials == [(attempt.id, PHONE, 15, "800100100")]
    assert rig.pacer.in_flight() == 1


async def test_a_closed_window_dials_nobody_and_dialling_starts_when_it_opens(rig: Rig) -> None:
    campaign = await rig.campaign()
    rig.clock.now = SUNDAY

    assert not await rig.service.dial_next(campaign)
    assert rig.dialer.dials == [] and await rig.attempts() == []
    assert (await rig.contact()).status == "pending"

    rig.clock.now = SUNDAY + timedelta(days=1)  # Monday 11:00
    assert await rig.service.dial_next(campaign)


async def test_while_ami_is_down_nothing_is_claimed(rig: Rig) -> None:
    rig.ami_up = False

    assert not await rig.service.dial_next(await rig.campaign())
    assert await rig.attempts() == []


async def test_a_busy_customer_frees_the_slot_and_is_retried_after_its_spacing_in_the_window(
    rig: Rig,
) -> None:
    busy_before = REGISTRY.get_sample_value("centralino_campaign_attempts_total",
                                            {"disposition": "busy"}) or 0
    campaign = await rig.campaign()
    await rig.service.dial_next(campaign)
    [attempt] = await rig.attempts()
    assert REGISTRY.get_sample_value("centralino_campaign_calls_in_flight") == 1

    rig.service.on_result(DialReport(attempt.id, "customer", "BUSY", 17))
    await rig.service.stop()  # waits for the result to be stored

    assert REGISTRY.get_sample_value("centralino_campaign_calls_in_flight") == 0
    assert REGISTRY.get_sample_value("centralino_campaign_attempts_total",
                                     {"disposition": "busy"}) == busy_before + 1

    [stored] = await rig.attempts()
    assert (stored.disposition, stored.dial_status, stored.hangup_cause) == ("busy", "BUSY", 17)
    assert rig.pacer.in_flight() == 0
    assert (await rig.contact()).next_at.replace(tzinfo=NOW.tzinfo) == NOW + timedelta(minutes=30)
    rig.clock.now = NOW + timedelta(minutes=29)
    assert not await rig.service.dial_next(campaign)
    rig.clock.now = NOW + timedelta(minutes=30)
    assert await rig.service.dial_next(campaign)
    assert len(rig.dialer.dials) == 2


async def test_an_unallocated_number_is_never_retried(rig: Rig) -> None:
    campaign = await rig.campaign()
    await rig.service.dial_next(campaign)
    [attempt] = await rig.attempts()

    rig.service.on_result(DialReport(attempt.id, "customer", "CHANUNAVAIL", 1))
    await rig.service.stop()
    rig.clock.now = NOW + timedelta(days=3)
    assert not await rig.service.dial_next(campaign)
    assert (await rig.contact()).status == "invalid"


async def test_an_originate_asterisk_refused_is_failed_at_once(rig: Rig) -> None:
    rig.dialer.error = DialFailed("Originate refused: no such context")

    await rig.service.dial_next(await rig.campaign())

    [attempt] = await rig.attempts()
    assert (attempt.disposition, rig.pacer.in_flight()) == ("failed", 0)


async def test_an_originate_of_unknown_fate_is_not_redialled_and_failed_once_over(
    rig: Rig,
) -> None:
    campaign = await rig.campaign()
    try:
        raise DialFailed("lost") from AmiConnectionLost("the connection died")
    except DialFailed as exc:
        rig.dialer.error = exc
    await rig.service.dial_next(campaign)
    [attempt] = await rig.attempts()
    assert attempt.ended_at is None and rig.pacer.in_flight() == 0

    rig.clock.now = NOW + timedelta(minutes=5)
    assert await rig.service.fail_lost_attempts() == []  # its call may still be on
    assert not await rig.service.dial_next(campaign)
    rig.clock.now = NOW + LOST_AFTER + timedelta(seconds=1)
    assert await rig.service.fail_lost_attempts() == [attempt.id]
    assert await rig.service.fail_lost_attempts() == []
    [failed] = await rig.attempts()
    assert failed.disposition == "failed" and len(rig.dialer.dials) == 1


async def test_an_attempt_whose_call_asterisk_no_longer_has_is_failed_without_waiting(
    rig: Rig,
) -> None:
    campaign = await rig.campaign()
    await rig.service.dial_next(campaign)
    [attempt] = await rig.attempts()
    restarted = OutboundService(rig.store, rig.dialer, rig.pacer, rig.clock, lambda: True,
                                default_caller_id="800100100")  # knows nothing of the call

    rig.clock.now = NOW + timedelta(seconds=40)
    assert await restarted.fail_lost_attempts() == []  # Asterisk still has it: ringing
    rig.dialer.ended.add(PHONE)
    rig.dialer.asking_fails = True
    assert await restarted.fail_lost_attempts() == []  # Asterisk cannot say: wait
    rig.dialer.asking_fails = False
    assert await restarted.fail_lost_attempts() == [attempt.id]
    [failed] = await rig.attempts()
    assert failed.disposition == "failed" and len(rig.dialer.dials) == 1


async def test_a_campaign_with_nobody_left_is_finished_and_its_runner_ends(rig: Rig) -> None:
    prepared: list[tuple[str, ...]] = []

    async def prepare(campaign: RunningCampaign) -> None:
        prepared.append(campaign.scripts)

    service = OutboundService(rig.store, rig.dialer, rig.pacer, rig.clock, lambda: True,
                              default_caller_id="800100100", prepare=prepare)
    await service.follow_campaigns()
    await rig.store.finish(await _first_attempt(rig), AttemptReport(Disposition.HUMAN), now=NOW)

    for _ in range(50):  # the runner sees nobody left: it finishes the campaign
        if not await rig.store.running_campaigns():
            break
        await asyncio.sleep(0.05)
    await service.stop()

    assert prepared and prepared[0] == ("payment_reminder",)
    assert await rig.store.running_campaigns() == []


async def _first_attempt(rig: Rig) -> int:
    for _ in range(50):
        attempts = await rig.attempts()
        if attempts:
            return attempts[0].id
        await asyncio.sleep(0.05)
    raise AssertionError("the runner dialled nobody")


class PacerClock:
    """Monotonic seconds that move only when someone sleeps (the pacer's clock)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


class UnevenClaims(DatabaseAttempts):
    """Claims that take the pacer clock's time, each as long as the next of ``seconds``."""

    def __init__(self, sessions: Sessions, clock: PacerClock, seconds: list[float]) -> None:
        super().__init__(sessions, "engine-a", Budget(per_day=10, per_week=50))
        self._clock, self._seconds = clock, seconds

    async def claim(self, campaign_id: int, *, now: datetime, limit: int) -> list[Claim]:
        await self._clock.sleep(self._seconds.pop(0))
        return await super().claim(campaign_id, now=now, limit=limit)


async def test_originates_keep_the_campaigns_spacing_however_long_each_claim_takes(
    sqlite_sessions: Sessions,
) -> None:
    phones = [f"+3933312345{n:02d}" for n in range(5)]
    async with sqlite_sessions() as session:
        await running_campaign(session, *phones,
                               extra="pacing: {max_channels: 10, calls_per_second: 2}\n")
    clock = PacerClock()
    # uneven claims, in binary fractions (exact on the clock)
    store = UnevenClaims(sqlite_sessions, clock, [0.375, 0.0, 0.25, 0.0, 0.4375])
    starts: list[float] = []

    class TimedDialer(Dialer):
        async def dial(self, attempt_id: int, number: str, *, ring_seconds: int,
                       caller_id: str, campaign_id: int) -> None:
            starts.append(clock.now)

    service = OutboundService(
        store, TimedDialer(), Pacer(OutboundSettings(max_channels=100, calls_per_second=100),
                                    clock=clock, sleep=clock.sleep),
        Clock(NOW), lambda: True, default_caller_id="800100100", batch_seconds=1.0)
    [campaign] = await store.running_campaigns()
    while await service.dial_next(campaign):  # claims of two: a second's worth at 2 a second
        pass

    assert len(starts) == len(phones)
    assert min(b - a for a, b in pairwise(starts)) >= 0.5 - 1e-9


class CountedClaims(DatabaseAttempts):
    """The store, counting its claim transactions; ``fail`` makes the next claim fail."""

    def __init__(self, sessions: Sessions) -> None:
        super().__init__(sessions, "engine-a", Budget(per_day=10, per_week=50))
        self.claims = 0
        self.fail = False

    async def claim(self, campaign_id: int, *, now: datetime, limit: int) -> list[Claim]:
        self.claims += 1
        if self.fail:
            raise OSError("database unreachable")
        return await super().claim(campaign_id, now=now, limit=limit)


async def _batch_rig(sessions: Sessions, phones: list[str], pacing: str
                     ) -> tuple[CountedClaims, Pacer, RunningCampaign]:
    async with sessions() as session:
        await running_campaign(session, *phones, extra=pacing)
    store = CountedClaims(sessions)
    [campaign] = await store.running_campaigns()
    return store, Pacer(OutboundSettings(max_channels=100, calls_per_second=100)), campaign


async def test_free_channels_are_claimed_in_one_transaction_and_dialled_each_in_its_turn(
    sqlite_sessions: Sessions,
) -> None:
    phones = [f"+3933312345{n:02d}" for n in range(5)]
    async with sqlite_sessions() as session:
        await running_campaign(session, *phones,
                               extra="pacing: {max_channels: 3, calls_per_second: 4}\n")
    clock = PacerClock()
    store = CountedClaims(sqlite_sessions)
    starts: list[float] = []

    class TimedDialer(Dialer):
        async def dial(self, attempt_id: int, number: str, *, ring_seconds: int,
                       caller_id: str, campaign_id: int) -> None:
            starts.append(clock.now)

    pacer = Pacer(OutboundSettings(max_channels=100, calls_per_second=100), clock=clock,
                  sleep=clock.sleep)
    service = OutboundService(store, TimedDialer(), pacer, Clock(NOW), lambda: True,
                              default_caller_id="800100100", batch_seconds=1.0)
    [campaign] = await store.running_campaigns()

    assert await service.dial_next(campaign)  # three channels free: three claimed at once
    assert (store.claims, len(starts), pacer.in_flight()) == (1, 3, 3)
    assert min(b - a for a, b in pairwise(starts)) >= 0.25 - 1e-9  # 4 a second, still


async def test_a_window_that_closes_during_a_batch_gives_its_undialled_claims_back(
    sqlite_sessions: Sessions,
) -> None:
    phones = [f"+3933312345{n:02d}" for n in range(3)]
    store, pacer, campaign = await _batch_rig(sqlite_sessions, phones, FAST)
    clock = Clock(NOW)

    class ClosingDialer(Dialer):
        async def dial(self, attempt_id: int, number: str, *, ring_seconds: int,
                       caller_id: str, campaign_id: int) -> None:
            await super().dial(attempt_id, number, ring_seconds=ring_seconds,
                               caller_id=caller_id, campaign_id=campaign_id)
            if len(self.dials) == 1:
                clock.now = SUNDAY  # the window closes after the first Originate

    dialer = ClosingDialer()
    service = OutboundService(store, dialer, pacer, clock, lambda: True,
                              default_caller_id="800100100", batch_seconds=1.0)

    assert await service.dial_next(campaign)

    assert len(dialer.dials) == 1 and pacer.in_flight() == 1
    async with sqlite_sessions() as session:
        attempts = list((await session.scalars(select(CampaignAttempt))).all())
        statuses = sorted((await session.scalars(select(CampaignContact.status))).all())
    assert [a.id for a in attempts] == [dialer.dials[0][0]]
    assert statuses == ["calling", "pending", "pending"]
    clock.now = NOW + timedelta(minutes=1)  # open again: the others are dialled
    assert await service.dial_next(campaign)
    assert sorted(number for _, number, _, _ in dialer.dials) == phones


async def test_a_claim_the_database_fails_keeps_no_channel(sqlite_sessions: Sessions) -> None:
    store, pacer, campaign = await _batch_rig(sqlite_sessions, [PHONE], FAST)
    service = OutboundService(store, Dialer(), pacer, Clock(NOW), lambda: True,
                              default_caller_id="800100100")
    store.fail = True

    with pytest.raises(OSError):
        await service.dial_next(campaign)

    assert pacer.in_flight() == 0
    store.fail = False
    assert await service.dial_next(campaign)


async def test_a_call_ending_after_its_script_stored_the_result_writes_nothing_more(
    rig: Rig,
) -> None:
    writes: list[int] = []
    finish = rig.store.finish

    async def counted(attempt_id: int, result: AttemptReport, *, now: datetime) -> bool:
        writes.append(attempt_id)
        return await finish(attempt_id, result, now=now)

    rig.store.finish = counted  # type: ignore[method-assign]
    await rig.service.dial_next(await rig.campaign())
    [attempt] = await rig.attempts()
    rig.service.answered(attempt.id)

    assert await rig.service.finish(attempt.id, AttemptReport(Disposition.HUMAN, outcome="ok"))
    await rig.service.call_ended(attempt.id, AttemptReport(Disposition.HUMAN))
    rig.service.on_result(DialReport(attempt.id, "customer", "ANSWER", 16))
    await rig.service.stop()

    assert writes == [attempt.id] and rig.pacer.in_flight() == 0
    [stored] = await rig.attempts()
    assert (stored.disposition, stored.outcome) == ("human", "ok")


async def test_a_loop_stopped_during_a_batch_gives_its_undialled_claims_back(
    sqlite_sessions: Sessions,
) -> None:
    phones = [f"+3933312345{n:02d}" for n in range(3)]
    store, _, campaign = await _batch_rig(
        sqlite_sessions, phones, "pacing: {max_channels: 10, calls_per_second: 4}\n")
    waiting_for_a_token = asyncio.Event()

    async def never(_seconds: float) -> None:  # the second call's turn never comes
        waiting_for_a_token.set()
        await asyncio.Event().wait()

    pacer = Pacer(OutboundSettings(max_channels=100, calls_per_second=100), clock=lambda: 0.0,
                  sleep=never)
    dialer = Dialer()
    service = OutboundService(store, dialer, pacer, Clock(NOW), lambda: True,
                              default_caller_id="800100100", batch_seconds=1.0)
    dialling = asyncio.create_task(service.dial_next(campaign))
    await asyncio.wait_for(waiting_for_a_token.wait(), 5)

    dialling.cancel()
    with pytest.raises(asyncio.CancelledError):
        await dialling

    assert len(dialer.dials) == 1 and pacer.in_flight() == 1
    async with sqlite_sessions() as session:
        statuses = sorted((await session.scalars(select(CampaignContact.status))).all())
        attempts = (await session.scalars(select(CampaignAttempt.id))).all()
    assert statuses == ["calling", "pending", "pending"]
    assert list(attempts) == [dialer.dials[0][0]]


async def test_by_default_each_claim_takes_one_contact_so_a_crash_strands_none_undialled(
    sqlite_sessions: Sessions,
) -> None:
    phones = [f"+3933312345{n:02d}" for n in range(3)]
    store, pacer, campaign = await _batch_rig(sqlite_sessions, phones, FAST)
    dialer = Dialer()
    service = OutboundService(store, dialer, pacer, Clock(NOW), lambda: True,
                              default_caller_id="800100100")

    assert await service.dial_next(campaign)
    assert (store.claims, len(dialer.dials), pacer.in_flight()) == (1, 1, 1)


async def test_a_stopped_loop_leaves_no_timer_behind(rig: Rig) -> None:
    await rig.service.dial_next(await rig.campaign())
    expiries = [call.expiry for call in rig.service._calls.values()]
    assert expiries and not any(expiry is None or expiry.cancelled() for expiry in expiries)
    await rig.service.stop()
    assert all(expiry is not None and expiry.cancelled() for expiry in expiries)
