"""The IVR interpreter: walks one call through a :class:`~ivr.plan.MenuPlan`.

Straight-line code over :class:`~centralino.core.call_session.CallSession`: play a menu, read a key,
perform the option's action, go to the next node. The ticket's trace (keys, nodes, outcome,
classification, language, contact) is written behind the caller's back, coalesced, so a slow
database never delays the next prompt; it is flushed before the call leaves the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from centralino.core import metrics
from centralino.core.call_session import CallHungUp, CallSession, digit_sounds
from centralino.core.group_commit import WRITE_BEHIND_SECONDS
from centralino.core.hours.rules import CenterState, CenterStatus
from config.menu import Action as MenuAction
from config.menu import (
    Announce,
    Back,
    ChooseLanguage,
    Classify,
    GoToMenu,
    Hangup,
    Identify,
    Menu,
    PlayAndHangup,
    Prompt,
    Queue,
    Repeat,
    TicketStatus,
    Transfer,
    Voicemail,
)
from cti.tickets.desk import TicketDesk
from cti.tickets.store import IvrTrace
from cti.tickets.terms import IvrOutcome
from ivr.choice import choose
from ivr.plan import SAY_TRACKING_CODE, MenuPlan, MenuPlans
from recordings.capture import Message, MessageLimits, VoicemailRecorder
from recordings.terms import VoicemailSituation

log = structlog.get_logger(__name__)

QUEUE_CONTEXT = "acd-queue"  # Queue(${CENTRALINO_QUEUE}) in the rendered dialplan
TRANSFER_CONTEXT = "ivr-transfer"  # dials the extension through the trunk
TRACKING_CODE_MAX_DIGITS = 12
TRACE_SAVE_DELAY = 3.0  # seconds of the caller's moves gathered into one write
_SITUATIONS = {CenterState.CLOSED: VoicemailSituation.CLOSED,
               CenterState.HOLIDAY: VoicemailSituation.HOLIDAY}


class IvrScript:
    """The dispatcher's script for toll-free calls: the current plan, at the center's state."""

    def __init__(self, plans: MenuPlans, desk: TicketDesk, voicemail: VoicemailRecorder,
                 center_status: Callable[[], CenterStatus]) -> None:
        self._plans = plans
        self._desk = desk
        self._voicemail = voicemail
        self._center_status = center_status

    async def __call__(self, session: CallSession) -> None:
        center = self._center_status()
        await IvrCall(session, self._plans.current, self._desk, self._voicemail).run(
            center, _SITUATIONS.get(center.state))


class OverflowScript:
    """A caller the queue could not serve (nobody free, waited too long) comes back from the
    dialplan: the IVR goes on at the menu's ``closed`` entry, its message and voicemail."""

    def __init__(self, plans: MenuPlans, desk: TicketDesk, voicemail: VoicemailRecorder) -> None:
        self._plans = plans
        self._desk = desk
        self._voicemail = voicemail

    async def __call__(self, session: CallSession) -> None:
        reason = session.args[2] if len(session.args) > 2 else "overflow"
        log.info("ivr.queue_overflow", queue_status=reason)
        await IvrCall(session, self._plans.current, self._desk, self._voicemail).run(
            CenterStatus(CenterState.CLOSED, f"queue: {reason}"), VoicemailSituation.BUSY)


class IvrCall:
    """One caller's way through the menus."""

    def __init__(self, session: CallSession, plan: MenuPlan, desk: TicketDesk,
                 voicemail: VoicemailRecorder) -> None:
        self._session = session
        self._plan = plan
        self._desk = desk
        self._voicemail = voicemail
        self._unserved: VoicemailSituation | None = None
        self._message = Message.NONE
        self._defaults = plan.menu.defaults
        self._tracking_code = ""
        self._keys: list[str] = []
        self._nodes: list[dict[str, str]] = []
        self._outcome: IvrOutcome | None = None
        self._classification: str | None = None
        self._contact_id: int | None = None
        self._entry = ""
        self._dirty = False
        self._flushing = asyncio.Event()
        self._saver: asyncio.Task[None] | None = None

    # -- the walk -------------------------------------------------------------------------------

    async def run(self, center: CenterStatus, unserved: VoicemailSituation | None = None) -> None:
        """Walk the menus from the entry for ``center``; ``unserved`` says why the center
        cannot serve the caller (closed, holiday, busy), None when it is open."""
        self._unserved = unserved
        answering = asyncio.create_task(self._session.answer())  # while the ticket is written
        try:
            ticket = await self._desk.open_for_call(self._session.linkedid)
        finally:
            await answering
        self._tracking_code = ticket.tracking_code
        # An adopted call (engine restart) goes on with what its ticket knows already.
        known = ticket.trace
        self._keys = list(known.dtmf_path)
        self._nodes = list(known.ivr_nodes)
        self._classification = known.classification
        self._contact_id = known.contact_id
        language = known.language  # chosen before an engine restart
        if language not in self._plan.menu.languages:
            language = self._plan.default_language
        if language != self._session.language:
            await self._session.set_language(language)
        history: list[str] = []
        self._entry = self._plan.entry_for(center.state)
        node: str | None = self._entry
        log.info("ivr.entered", center=center.state.value, node=node)
        try:
            while node is not None:
                node = await self._enter(node, history)
        except CallHungUp:
            self._outcome = self._outcome or IvrOutcome.HANGUP_IN_MENU
            self._dirty = True
            raise
        finally:
            await asyncio.shield(self._flush())
            metrics.IVR_OUTCOMES.labels(outcome=self._outcome or "none").inc()
            self._count_missed()

    async def _enter(self, name: str, history: list[str]) -> str | None:
        if self._session.hung_up:  # a prompt cut by the hang-up ends just before it is told
            raise CallHungUp(self._session.id)
        self._nodes.append({"node": name, "at": datetime.now(UTC).isoformat()})
        self._touch()
        node = self._plan.node(name)
        action = await self._choose(node) if isinstance(node, Menu) else node
        return await self._perform(action, name, history)

    async def _choose(self, menu: Menu) -> MenuAction:
        """Play the menu and read one key, with retries on silence and on invalid keys."""
        return await choose(self._session, menu, menu.options,  # type: ignore[arg-type]
                            menu.after_retries or self._defaults.after_retries, self._defaults,
                            self._play, self._keyed)

    def _keyed(self, key: str) -> None:
        self._keys.append(key)
        self._touch()

    async def _perform(self, action: MenuAction, current: str,
                       history: list[str]) -> str | None:
        """Do ``action``; return the next node, or None when the call leaves the IVR."""
        if isinstance(action, GoToMenu):
            if isinstance(self._plan.node(current), Menu):
                history.append(current)
            return action.target
        if isinstance(action, Back):
            return history.pop() if history else self._entry
        if isinstance(action, Repeat):
            return current
        if isinstance(action, Announce):
            await self._play(action.prompt)
            return action.next
        if isinstance(action, Classify):
            self._classify(action.classification)
            return action.next
        if isinstance(action, ChooseLanguage):
            await self._session.set_language(action.language)
            self._touch()
            return action.next or current
        if isinstance(action, Identify):
            return await self._identify(action) or current
        if isinstance(action, TicketStatus):
            return await self._ticket_status(action)
        await self._leave(action)
        return None

    # -- actions that end the IVR ---------------------------------------------------------------

    async def _leave(self, action: MenuAction) -> None:
        if isinstance(action, Queue | Voicemail | PlayAndHangup):
            self._classify(action.classification)
        if isinstance(action, Queue):
            self._outcome = IvrOutcome.QUEUED
            await self._play(action.prompt, interruptible=False)
            await self._flush()
            await self._session.set_variable("CENTRALINO_QUEUE", action.queue)
            await self._session.continue_in_dialplan(QUEUE_CONTEXT)
        elif isinstance(action, Transfer):
            self._outcome = IvrOutcome.TRANSFER
            await self._play(action.prompt, interruptible=False)
            await self._flush()
            await self._session.continue_in_dialplan(TRANSFER_CONTEXT, action.number)
        elif isinstance(action, Voicemail):
            self._outcome = IvrOutcome.VOICEMAIL
            self._touch()
            await self._take_message(action)
            await self._play(self._defaults.goodbye, interruptible=False)
        elif isinstance(action, PlayAndHangup):
            self._outcome = IvrOutcome.INFO_MESSAGE
            self._touch()
            await self._play(action.prompt, self._defaults.goodbye, interruptible=False)
        elif isinstance(action, Hangup):
            self._outcome = IvrOutcome.HANGUP_IN_MENU
            self._touch()
            await self._play(action.prompt, interruptible=False)

    # -- voicemail ------------------------------------------------------------------------------

    async def _take_message(self, action: Voicemail) -> None:
        situation = self._unserved or VoicemailSituation.CHOICE
        greeting = action.prompt or getattr(self._defaults.voicemail_greetings, situation.value)
        self._message = await self._voicemail.take_message(
            self._session, situation, lambda: self._play(greeting, interruptible=False),
            MessageLimits(action.max_seconds, action.max_silence_seconds, action.min_seconds))

    def _count_missed(self) -> None:
        """A caller the center could not serve ended the call here without a message."""
        left_the_ivr = self._outcome in (IvrOutcome.QUEUED, IvrOutcome.TRANSFER)
        if self._unserved is not None and not left_the_ivr and self._message is Message.NONE:
            self._voicemail.missed(self._session, self._unserved)

    # -- actions that ask for digits ------------------------------------------------------------

    async def _ticket_status(self, action: TicketStatus) -> str | None:
        self._outcome = IvrOutcome.STATUS_QUERY
        self._touch()
        for _ in range(action.retries + 1):
            code = await self._read_number(action.prompt, TRACKING_CODE_MAX_DIGITS)
            if not code:
                await self._play(self._defaults.no_input)
                continue
            status = await self._desk.status_of(code)
            if status is None:
                await self._play(action.not_found)
                continue
            await self._play(action.statuses.get(status, action.not_found), interruptible=False)
            break
        if action.next is None:
            await self._play(self._defaults.goodbye, interruptible=False)
        return action.next

    async def _identify(self, action: Identify) -> str | None:
        for _ in range(action.retries + 1):
            pin = await self._read_number(action.prompt, action.max_digits)
            contact_id = await self._desk.contact_for_pin(pin) if pin else None
            if contact_id is not None:
                self._contact_id = contact_id
                self._touch()
                await self._play(action.recognised)
                return action.next
            await self._play(action.not_recognised)
        return action.next

    async def _read_number(self, prompt: Prompt, max_digits: int) -> str:
        """Play ``prompt`` and read digits up to ``#``; keys typed during it count."""
        await self._play(prompt)
        return await self._session.read_digits(max_digits, self._defaults.timeout,
                                               self._defaults.inter_digit_timeout)

    # -- helpers --------------------------------------------------------------------------------

    async def _play(self, *prompts: Prompt | None, interruptible: bool = True) -> None:
        """Play ``prompts`` one after the other, as one playback (one request to Asterisk)."""
        media: list[str] = []
        for prompt in prompts:
            for uri in self._plan.media(prompt, self._session.language):
                media += digit_sounds(self._tracking_code) if uri == SAY_TRACKING_CODE else [uri]
        if media:
            await self._session.play(*media, interruptible=interruptible)

    def _classify(self, code: str | None) -> None:
        if code is not None:
            self._classification = code
            self._touch()

    def _trace(self) -> IvrTrace:
        return IvrTrace(dtmf_path="".join(self._keys), ivr_nodes=list(self._nodes),
                        ivr_outcome=self._outcome, classification=self._classification,
                        language=self._session.language, contact_id=self._contact_id)

    def _touch(self) -> None:
        """The trace changed: save it soon, in the background, the latest version only."""
        self._dirty = True
        if self._saver is None or self._saver.done():
            self._saver = asyncio.create_task(self._save_while_dirty())

    async def _save_while_dirty(self) -> None:
        while self._dirty:
            if not self._flushing.is_set():  # gather the changes of the next moment into one
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._flushing.wait(), TRACE_SAVE_DELAY)
            self._dirty = False
            # A flush is waited for; a save in passing rides with the next write that is.
            within = 0.0 if self._flushing.is_set() else WRITE_BEHIND_SECONDS
            try:
                await self._desk.save_trace(self._session.linkedid, self._trace(), within=within)
            except Exception:
                log.exception("ivr.trace_not_saved")

    async def _flush(self) -> None:
        """Save the trace now (before the call leaves the engine)."""
        self._flushing.set()
        if self._dirty and (self._saver is None or self._saver.done()):
            self._saver = asyncio.create_task(self._save_while_dirty())
        if self._saver is not None:
            await self._saver
        self._flushing.clear()
