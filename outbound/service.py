"""The dial loop: running campaigns' due attempts claimed, paced, dialled and reported.

For each running campaign a runner repeats: wait while AMI is down (an Asterisk restart), wait
for the campaign's window (``window``, ``start_at``, ``end_at``) to be open now, take a
channel from the :class:`~outbound.pacing.Pacer` (the engine's cap and the campaign's) — or,
with ``batch_seconds``, as many as are free up to that many seconds' worth of calls —, check
the window again, claim that many due attempts from the store in one transaction, then for
each wait for its turn under the
calls-per-second caps (taken after the claim, so the claim's own time never bunches two
``Originate`` s) and dial it. A retry is just another due attempt: the window is checked at
every dial; claims whose turn does not come are given back undialled.

An attempt ends one of three ways, and its slot is freed then:

- the dialplan reports a leg never answered (``CampaignResult``, :meth:`on_result`);
- an answered call's script ends (:meth:`call_ended`, from :class:`outbound.call.CampaignCall`):
  stored as human or machine unless the script stored its own result first;
- nothing is heard of it within its ring time and a margin (the AMI connection or Asterisk was
  lost, the engine that dialled it was killed): the slot is freed, and once Asterisk has no call
  to its number any more (asked with ``CoreShowChannels`` at start and every 30 s), or at the
  latest once its call must be over (:data:`LOST_AFTER`), the attempt is stored as failed by
  :meth:`fail_lost_attempts` — never dialled again blindly.

An ``Originate`` is never re-sent: one Asterisk did not take is failed at once, one whose fate
is unknown (the connection died) is left to that reconciliation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from centralino.core import metrics
from centralino.core.ami import AmiError, AmiUnavailable
from centralino.core.dialing import DialFailed, DialReport
from centralino.core.hours.rules import CenterState, OfficeHours
from centralino.core.tasks import TaskSet, cancel_and_wait
from config.campaign import CampaignFile
from outbound.dialer import ORIGINATE_MARGIN_SECONDS, disposition_of
from outbound.pacing import Pacer, Slot
from outbound.store import AttemptReport, Claim, Unfinished
from outbound.terms import Disposition

log = structlog.get_logger(__name__)

POLL_SECONDS = 1.0  # how often the running campaigns, a closed window or AMI are looked at
IDLE_SECONDS = 2.0  # a campaign with nothing due looks again after this
REPORT_MARGIN_SECONDS = 15.0  # after ring + margin, an unreported call frees its slot
LOST_AFTER = timedelta(minutes=15)  # then an unfinished attempt's call must be over
RECONCILE_AFTER = timedelta(seconds=30)  # an Originate has made its channels long before
LOST_CHECK_SECONDS = 30.0
NOT_READY_SECONDS = 30.0  # a campaign whose scripts do not load is tried again after this
REMEMBER_STORED = 4096  # results remembered, so a second report of one is not written
# Claims taken together: at most this long of dialling at the rate caps. Off (one claim per
# channel) by default: an engine that dies holding claims not yet dialled leaves them to
# fail_lost_attempts (as failed: a retry later); claimed one by one, that is one claim at most.
BATCH_SECONDS = 0.0


@dataclass
class RunningCampaign:
    """A running campaign as the dial loop needs it."""

    id: int
    file: CampaignFile
    scripts: tuple[str, ...] = ()  # each stage's (shipped names or absolute paths)
    hours: OfficeHours = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.hours = OfficeHours(self.file.window)

    def may_call(self, now: datetime) -> bool:
        """Whether its window is open at ``now`` (and ``now`` is within start_at/end_at)."""
        if self.file.start_at is not None and now < self.file.start_at:
            return False
        if self.file.end_at is not None and now >= self.file.end_at:
            return False
        return self.hours.status_at(now).state is CenterState.OPEN


Prepare = Callable[["RunningCampaign"], Awaitable[None]]


class AttemptStore(Protocol):
    """What the dial loop needs of the campaigns' store (:mod:`outbound.attempts`)."""

    async def running_campaigns(self) -> list[RunningCampaign]:
        """The campaigns in state ``running``."""
        ...

    async def claim(self, campaign_id: int, *, now: datetime, limit: int) -> list[Claim]:
        """Claim up to ``limit`` due attempts of the campaign."""
        ...

    async def release(self, attempt_ids: Sequence[int]) -> int:
        """Give back claims that were never dialled: their contacts are due again."""
        ...

    async def finish(self, attempt_id: int, result: AttemptReport, *, now: datetime) -> bool:
        """Store the result; False if the attempt was finished already."""
        ...

    async def unfinished(self, started_before: datetime) -> list[Unfinished]:
        """Attempts claimed before ``started_before`` and never finished."""
        ...

    async def finish_if_done(self, campaign_id: int, *, now: datetime) -> bool:
        """Mark the campaign finished if nobody is left to call; whether it was."""
        ...


class Dialer(Protocol):
    """What the dial loop needs of :class:`outbound.dialer.CampaignDialer`."""

    async def dial(self, attempt_id: int, number: str, *, ring_seconds: int, caller_id: str,
                   campaign_id: int) -> None: ...

    async def numbers_in_calls(self) -> set[str]: ...


@dataclass
class _Call:
    slot: Slot
    answered: bool = False
    expiry: asyncio.TimerHandle | None = None


class OutboundService:
    """Runs the running campaigns; :meth:`start` and :meth:`stop` with the engine."""

    def __init__(self, store: AttemptStore, dialer: Dialer, pacer: Pacer,
                 clock: Callable[[], datetime], ami_ready: Callable[[], bool], *,
                 default_caller_id: str, prepare: Prepare | None = None,
                 batch_seconds: float = BATCH_SECONDS) -> None:
        """``ami_ready``: whether AMI is logged in now; ``default_caller_id``: the number shown
        for campaigns without a ``caller_id`` (the toll-free number); ``prepare``: made ready
        before a campaign dials (its scripts loaded); ``batch_seconds``: how many seconds of
        calls at the rate caps one claim may take (:data:`BATCH_SECONDS`)."""
        self._prepare = prepare
        self._batch_seconds = batch_seconds
        self._store = store
        self._dialer = dialer
        self._pacer = pacer
        self._clock = clock
        self._ami_ready = ami_ready
        self._default_caller_id = default_caller_id
        self._calls: dict[int, _Call] = {}  # attempt id -> its call, while it is on
        # attempts whose result this engine stored, the oldest forgotten first: an answered call's
        # end after its script's own result needs no write to be refused
        self._stored: dict[int, None] = {}
        self._runners: dict[int, asyncio.Task[None]] = {}
        self._tasks = TaskSet(failure_event="outbound.task_failed")
        self._loop: asyncio.Task[None] | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Follow the running campaigns in the background."""
        if self._loop is None:
            self._loop = asyncio.create_task(self._keep_going(), name="outbound")

    async def stop(self) -> None:
        """Stop dialling; calls in flight go on in Asterisk and report to the next engine (their
        timers here are cancelled: nothing of a stopped loop fires later)."""
        await cancel_and_wait(self._loop)
        self._loop = None
        for call in self._calls.values():
            if call.expiry is not None:
                call.expiry.cancel()
        for runner in self._runners.values():
            runner.cancel()
        await asyncio.gather(*self._runners.values(), return_exceptions=True)
        self._runners.clear()
        await self._tasks.wait()

    @property
    def running(self) -> bool:
        """Whether the dial loop follows the running campaigns."""
        return self._loop is not None

    async def follow_campaigns(self) -> None:
        """Start a runner for each running campaign, stop those of campaigns no longer running."""
        running = {campaign.id: campaign for campaign in await self._store.running_campaigns()}
        for campaign_id in set(self._runners) - set(running):
            self._runners.pop(campaign_id).cancel()
        for campaign_id, campaign in running.items():
            runner = self._runners.get(campaign_id)
            if runner is None or runner.done():
                self._runners[campaign_id] = asyncio.create_task(
                    self._run(campaign), name=f"campaign-{campaign_id}")

    # -- dialling ---------------------------------------------------------------------------------

    async def dial_next(self, campaign: RunningCampaign) -> bool:
        """Dial the campaign's next due attempts if they may be dialled now (AMI up, window
        open, a slot free, one due); False if none was dialled. Waits for a slot.

        With ``batch_seconds``, as many as there are channels free are claimed together, at
        most that many seconds' worth of calls under the calls-per-second caps; each is dialled
        in its turn, AMI and the window checked again right before it. Claims whose turn does
        not come (the window closed, AMI went down, the loop was stopped) are given back.
        """
        if not self._ami_ready() or not campaign.may_call(self._clock()):
            return False
        caps = campaign.file.pacing
        most = max(1, int(self._pacer.calls_per_second(caps) * self._batch_seconds))
        slots = await self._pacer.reserve_up_to(campaign.id, caps, most)
        now = self._clock()  # the slot may have taken a while: check again at the dial
        if not self._ami_ready() or not campaign.may_call(now):
            _release(slots)
            return False
        try:
            claims = await self._store.claim(campaign.id, now=now, limit=len(slots))
        except BaseException:  # a database that fails must not keep the channels
            _release(slots)
            raise
        _release(slots[len(claims):])
        waiting = list(zip(claims, slots, strict=False))
        try:
            for turn in range(len(claims)):
                if turn and not (self._ami_ready() and campaign.may_call(self._clock())):
                    break
                await self._pacer.pace(campaign.id, caps)  # the Originate starts now
                claim, slot = waiting.pop(0)
                await self._dial(campaign, claim, slot)
        finally:
            if waiting:
                await self._give_back(waiting)
        return bool(claims)

    async def _give_back(self, waiting: list[tuple[Claim, Slot]]) -> None:
        """Free the channels of claims never dialled and return them to the store; if that
        fails, they are failed once their call would be over (:meth:`fail_lost_attempts`)."""
        _release([slot for _, slot in waiting])
        try:
            await self._store.release([claim.attempt_id for claim, _ in waiting])
        except Exception:
            log.exception("outbound.release_failed",
                          attempts=[claim.attempt_id for claim, _ in waiting])

    async def _dial(self, campaign: RunningCampaign, claim: Claim, slot: Slot) -> None:
        ring = campaign.file.ring_seconds
        call = self._calls[claim.attempt_id] = _Call(slot)
        call.expiry = asyncio.get_running_loop().call_later(
            ring + ORIGINATE_MARGIN_SECONDS + REPORT_MARGIN_SECONDS, self._unheard_of,
            claim.attempt_id)
        log.info("outbound.dialling", campaign=campaign.id, attempt=claim.attempt_id,
                 phone=claim.phone)
        metrics.CAMPAIGN_DIALS.inc()
        metrics.CAMPAIGN_CALLS_IN_FLIGHT.set(len(self._calls))
        try:
            await self._dialer.dial(claim.attempt_id, claim.phone, ring_seconds=ring,
                                    caller_id=campaign.file.caller_id or self._default_caller_id,
                                    campaign_id=campaign.id)
        except (DialFailed, ValueError) as exc:
            refused = exc.__cause__ is None or isinstance(exc.__cause__, AmiUnavailable)
            log.warning("outbound.dial_failed", attempt=claim.attempt_id, error=str(exc),
                        known_not_dialled=refused)
            if refused:  # Asterisk did not take it: nothing rings
                await self.finish(claim.attempt_id, AttemptReport(Disposition.FAILED))
            else:  # whether it rings is unknown: reconciled once its call must be over
                self._forget(claim.attempt_id)

    # -- results ----------------------------------------------------------------------------------

    def on_result(self, report: DialReport) -> None:
        """The dialplan's report of a leg never answered (an AMI handler: work in a task)."""
        self._tasks.spawn(self.finish(report.attempt_id, AttemptReport(
            disposition_of(report), report.dial_status, report.hangup_cause)))

    def answered(self, attempt_id: int) -> None:
        """The customer answered: the call holds its slot until :meth:`call_ended`."""
        call = self._calls.get(attempt_id)
        if call is not None:
            call.answered = True
            if call.expiry is not None:
                call.expiry.cancel()

    async def call_ended(self, attempt_id: int, report: AttemptReport) -> None:
        """An answered call is over: ``report`` (human or machine) is stored unless its script
        stored a result first."""
        await self.finish(attempt_id, report)

    async def finish(self, attempt_id: int, result: AttemptReport) -> bool:
        """Free the attempt's slot and store its result; False if it was stored already."""
        self._forget(attempt_id)
        if attempt_id in self._stored:  # by this engine: the store would refuse it (no write)
            return False
        stored = await self._store.finish(attempt_id, result, now=self._clock())
        if stored:
            self._stored[attempt_id] = None
            if len(self._stored) > REMEMBER_STORED:
                del self._stored[next(iter(self._stored))]
            metrics.CAMPAIGN_ATTEMPTS.labels(disposition=result.disposition.value).inc()
            log.info("outbound.attempt_ended", attempt=attempt_id,
                     disposition=result.disposition.value, dial_status=result.dial_status,
                     hangup_cause=result.hangup_cause, amd=result.amd_status)
        return stored

    async def fail_lost_attempts(self) -> list[int]:
        """Store as failed the attempts never reported whose call is over: Asterisk has no call
        to their number any more (an engine killed while they rang, a report lost with AMI), or
        they are :data:`LOST_AFTER` old (Asterisk cannot be asked)."""
        now = self._clock()
        unfinished = [attempt for attempt in await self._store.unfinished(now - RECONCILE_AFTER)
                      if attempt.attempt_id not in self._calls]
        if not unfinished:
            return []
        try:
            in_calls: set[str] | None = await self._dialer.numbers_in_calls()
        except AmiError as exc:
            log.info("outbound.reconcile_skipped", error=str(exc))
            in_calls = None
        lost = [attempt.attempt_id for attempt in unfinished
                if attempt.started_at < now - LOST_AFTER
                or (in_calls is not None and attempt.phone not in in_calls)]
        failed = []
        for attempt_id in lost:
            log.warning("outbound.attempt_lost", attempt=attempt_id)
            if await self.finish(attempt_id, AttemptReport(Disposition.FAILED)):
                failed.append(attempt_id)
        return failed

    def _unheard_of(self, attempt_id: int) -> None:
        call = self._calls.get(attempt_id)
        if call is not None and not call.answered:
            log.warning("outbound.attempt_unreported", attempt=attempt_id)
            self._forget(attempt_id)

    def _forget(self, attempt_id: int) -> None:
        call = self._calls.pop(attempt_id, None)
        if call is not None:
            metrics.CAMPAIGN_CALLS_IN_FLIGHT.set(len(self._calls))
            call.slot.release()
            if call.expiry is not None:
                call.expiry.cancel()

    # -- background -------------------------------------------------------------------------------

    async def _run(self, campaign: RunningCampaign) -> None:
        structlog.contextvars.bind_contextvars(campaign=campaign.id)
        if self._prepare is not None:
            try:
                await self._prepare(campaign)
            except Exception:  # a script broken since the start: tried again later
                log.exception("outbound.campaign_not_ready")
                await asyncio.sleep(NOT_READY_SECONDS)
                return
        while True:
            try:
                if await self.dial_next(campaign):
                    continue
                if await self._store.finish_if_done(campaign.id, now=self._clock()):
                    log.info("outbound.campaign_finished")
                    return
                await asyncio.sleep(IDLE_SECONDS if self._ami_ready()
                                    and campaign.may_call(self._clock()) else POLL_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup: try again shortly
                log.exception("outbound.dial_loop_failed")
                await asyncio.sleep(POLL_SECONDS)

    async def _keep_going(self) -> None:
        since_lost_check = LOST_CHECK_SECONDS
        while True:
            try:
                await self.follow_campaigns()
                if since_lost_check >= LOST_CHECK_SECONDS:
                    since_lost_check = 0.0
                    await self.fail_lost_attempts()
            except Exception:
                log.exception("outbound.background_failed")
            await asyncio.sleep(POLL_SECONDS)
            since_lost_check += POLL_SECONDS


def _release(slots: Sequence[Slot]) -> None:
    for slot in slots:
        slot.release()
