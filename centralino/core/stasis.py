"""The Stasis application: turns ARI events into per-call ``CallSession`` objects and runs scripts.

One dispatcher per engine. Events reach it synchronously from the ARI reader and are applied to
the session of their channel at once (no task per event); each call's script runs in one task of
its own, with the call's linkedid bound to every log line it writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from centralino.core import events
from centralino.core.ari import AriClient, AriError
from centralino.core.ari_events import (
    Channel,
    ChannelDestroyed,
    MalformedEvent,
    StasisEnd,
    StasisStart,
    channel_id_of,
    parse_event,
)
from centralino.core.bus import EventBus
from centralino.core.call_session import CallHungUp, CallSession

log = structlog.get_logger(__name__)

CallScript = Callable[[CallSession], Awaitable[None]]

#: Dialplan context that takes calls the engine cannot handle (see the rendered extensions.conf).
FALLBACK_CONTEXT = "engine-unavailable"


class CallLog(Protocol):
    """Where the dispatcher records each call's life (the ``calls`` table).

    The dispatcher does not wait for :meth:`started` before the call's script runs: the start
    must be in line when it returns, written before any write the script makes afterwards (the
    engine's group commit runs writes in the order they were made).
    """

    def started(self, session: CallSession) -> Awaitable[None]: ...
    async def answered(self, session: CallSession) -> None: ...
    async def ended(self, session: CallSession, disposition: str) -> None: ...
    async def close_orphans(self, active_linkedids: set[str]) -> int: ...
    async def open_linkedids(self) -> set[str]: ...


class StasisDispatcher:
    """Routes Stasis calls to scripts by their first Stasis argument (``Stasis(app,tollfree)``)."""

    def __init__(self, ari: AriClient, bus: EventBus, call_log: CallLog,
                 scripts: dict[str, CallScript], end_grace: float = 2.0) -> None:
        self._ari = ari
        self._bus = bus
        self._call_log = call_log
        self._scripts = scripts
        self._end_grace = end_grace
        self._sessions: dict[str, CallSession] = {}
        self._tasks: dict[asyncio.Task[None], CallSession] = {}
        self._accepting = True
        ari.add_connect_hook(self.reconcile)

    def add_script(self, entry: str, script: CallScript) -> None:
        """Run ``script`` for calls whose first Stasis argument is ``entry``."""
        if entry in self._scripts:
            raise ValueError(f"a call script for {entry!r} exists already")
        self._scripts[entry] = script

    @property
    def active_calls(self) -> int:
        return len(self._sessions)

    # -- events ---------------------------------------------------------------------------------

    def handle_event(self, raw: dict[str, Any]) -> None:
        """Entry point for every ARI event (synchronous, must stay quick)."""
        try:
            event = parse_event(raw)
        except MalformedEvent as exc:
            log.warning("ari.malformed_event", error=str(exc))
            return
        if event is None:
            return
        if isinstance(event, StasisStart):
            self._start(event.channel, event.args)
            return
        channel_id = channel_id_of(event)
        session = self._sessions.get(channel_id) if channel_id else None
        if session is not None:
            session.deliver(event)
            if isinstance(event, ChannelDestroyed) or (
                    isinstance(event, StasisEnd) and not session.left_stasis):
                self._forget(session)

    def _start(self, channel: Channel, args: list[str]) -> None:
        existing = self._sessions.get(channel.id)
        if existing is not None:
            if not existing.left_stasis:
                return
            # Back from the dialplan (a queue's overflow): a new script takes the call over.
            for task, owner in list(self._tasks.items()):
                if owner is existing:
                    task.cancel()
        linkedid = args[1] if len(args) > 1 and args[1] else channel.id
        session = CallSession(self._ari, channel, args, linkedid)
        self._sessions[channel.id] = session
        self._spawn(session, self._run(session))

    def _forget(self, session: CallSession) -> None:
        """Drop ``session`` unless a newer session of the same channel took its place."""
        if self._sessions.get(session.id) is session:
            del self._sessions[session.id]

    def _spawn(self, session: CallSession, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work, name=f"call-{session.id}")
        self._tasks[task] = session
        task.add_done_callback(lambda done: self._tasks.pop(done, None))

    # -- one call's life ------------------------------------------------------------------------

    async def _run(self, session: CallSession) -> None:
        structlog.contextvars.bind_contextvars(linkedid=session.linkedid,
                                               channel=session.channel.name)
        entry = session.args[0] if session.args else ""
        script = self._scripts.get(entry)
        if not self._accepting or script is None:
            log.warning("call.refused", entry=entry, accepting=self._accepting)
            await self._send_to_fallback(session)
            self._forget(session)
            return
        disposition: str | None = "failed"  # None: the call goes on, its end is not ours
        try:
            # Not waited for: the script's first write (the call's ticket) is in line after it
            # and joins its transaction, one commit less before the caller hears a prompt.
            recorded = asyncio.ensure_future(self._call_log.started(session))
            recorded.add_done_callback(_log_unrecorded_start)
            self._bus.publish(events.CallStarted(session.linkedid, session.channel.name,
                                                 session.caller_number,
                                                 session.channel.dialplan.exten,
                                                 session.started_at))
            session.on_answer = lambda at: self._answered(session, at)
            if session.answered_at is not None:
                self._answered(session, session.answered_at)
            await script(session)
            await session.hangup()
            # A call handed to the dialplan (queue, transfer) ends when its channel does.
            await session.wait_for_hangup(None if session.left_stasis else self._end_grace)
            disposition = "answered" if session.answered_at else "abandoned"
        except CallHungUp:
            disposition = "answered" if session.answered_at else "abandoned"
        except asyncio.CancelledError:
            # Alive in the dialplan (or back in Stasis under a new script): the next engine,
            # or that script, follows it and writes its end.
            disposition = None if session.left_stasis and not session.hung_up else "lost"
            raise
        except Exception:
            log.exception("call.script_failed", entry=entry)
            await self._send_to_fallback(session)
        finally:
            self._forget(session)
            if disposition is not None:
                session.ended_at = session.ended_at or datetime.now(UTC)
                await asyncio.shield(self._record_end(session, disposition))

    def _answered(self, session: CallSession, at: datetime) -> None:
        self._bus.publish(events.CallAnswered(session.linkedid, at))
        self._spawn(session, self._call_log.answered(session))

    async def _record_end(self, session: CallSession, disposition: str) -> None:
        try:
            await self._call_log.ended(session, disposition)
        except Exception:
            log.exception("call.end_not_recorded", disposition=disposition)
        self._bus.publish(events.CallEnded(session.linkedid, disposition,
                                           session.ended_at or datetime.now(UTC)))
        log.info("call.ended", disposition=disposition, cause=session.hangup_cause,
                 key_to_prompt_ms=session.key_to_prompt_ms)

    async def _send_to_fallback(self, session: CallSession) -> None:
        try:
            await session.continue_in_dialplan(FALLBACK_CONTEXT, follow=False)
        except (CallHungUp, AriError) as exc:
            log.info("call.fallback_failed", error=str(exc))

    # -- recovery and shutdown ------------------------------------------------------------------

    async def reconcile(self) -> None:
        """After every ARI (re)connection: adopt channels waiting in our app, drop vanished ones.

        A channel that entered the app while the engine was away (or before it restarted) runs
        its script from the start; the call and ticket rows are keyed by linkedid, so nothing
        is stored twice. Sessions whose channel no longer exists (Asterisk restarted) end as
        ``lost``; call rows left open by a previous engine process are closed the same way.
        """
        channels = await self._ari.request("GET", "/channels")
        present = {item["id"] for item in channels}
        for channel_id, session in list(self._sessions.items()):
            if channel_id not in present:
                log.warning("call.vanished", linkedid=session.linkedid)
                session.deliver(ChannelDestroyed(type="ChannelDestroyed",
                                                 channel=session.channel))
        open_calls = await self._call_log.open_linkedids()
        for item in channels:
            if item["id"] in self._sessions:
                continue
            adopted = self._adoptable(item)
            if adopted is not None:
                log.info("call.adopted", channel=item.get("name"))
                self._start(*adopted)
            elif item["id"] in open_calls:  # a call of ours waiting in the dialplan (queue)
                self._follow(item)
        active = {session.linkedid for session in self._sessions.values()}
        closed = await self._call_log.close_orphans(active)
        if closed:
            log.warning("calls.closed_orphans", count=closed)

    def _follow(self, item: dict[str, Any]) -> None:
        """Watch a call that an earlier engine handed to the dialplan, to record its end."""
        try:
            channel = Channel.model_validate(item)
        except ValueError:
            return
        session = CallSession(self._ari, channel, [], channel.id)
        session.left_stasis = True
        self._sessions[channel.id] = session
        self._spawn(session, self._follow_until_hangup(session))

    async def _follow_until_hangup(self, session: CallSession) -> None:
        structlog.contextvars.bind_contextvars(linkedid=session.linkedid)
        try:
            await self._ari.request("POST", f"/applications/{self._ari.app}/subscription",
                                    params={"eventSource": f"channel:{session.id}"})
            await session.wait_for_hangup(None)
        except AriError as exc:  # gone between the listing and the subscription
            log.info("call.follow_failed", error=str(exc))
        except asyncio.CancelledError:
            self._forget(session)
            raise
        self._forget(session)
        session.ended_at = session.ended_at or datetime.now(UTC)
        await asyncio.shield(self._record_end(session, "answered"))

    def _adoptable(self, item: dict[str, Any]) -> tuple[Channel, list[str]] | None:
        dialplan = item.get("dialplan") or {}
        if dialplan.get("app_name") != "Stasis":
            return None
        app, *args = str(dialplan.get("app_data", "")).split(",")
        if app != self._ari.app:
            return None
        try:
            return Channel.model_validate(item), args
        except ValueError:
            return None

    async def stop(self, timeout: float = 5.0) -> None:
        """Refuse new calls, hand live ones to the dialplan fallback, wait for their rows."""
        self._accepting = False
        for session in list(self._sessions.values()):
            if not session.left_stasis:
                await self._send_to_fallback(session)
        for task, session in list(self._tasks.items()):
            if session.left_stasis and not session.hung_up:  # the next engine follows it
                task.cancel()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=timeout)


def _log_unrecorded_start(recorded: asyncio.Future[None]) -> None:
    if not recorded.cancelled() and recorded.exception() is not None:
        log.error("call.start_not_recorded", error=str(recorded.exception()))
