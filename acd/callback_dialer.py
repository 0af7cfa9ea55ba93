"""Callback calls over AMI: ring the operator's seat first, then dial the caller.

One attempt is one ``Originate`` (async) of ``Local/SEAT@callback-ring-seat/n`` into
``callback-dial,NUMBER`` (config/asterisk/extensions.conf.j2): the seat rings for
``callbacks.ring_seat_seconds``; once it answers, the caller is dialled through the trunk for
``callbacks.dial_caller_seconds``. The dialplan reports how the attempt went with
``UserEvent(CallbackResult)`` — ``Attempt`` (the ``callback_attempts`` id), ``Leg`` and
``DialStatus`` — when the caller answers and when the attempt's call ends (the first report
of an attempt counts), which :func:`parse_result` reads and :func:`outcome_of` maps:

==========  =================================  =====================
Leg         DIALSTATUS                         outcome
==========  =================================  =====================
caller      ANSWER                             reached
caller      NOANSWER                           no_answer
caller      BUSY                               busy
caller      CHANUNAVAIL, CONGESTION, other     wrong_number
caller      CANCEL, empty (operator hung up)   cancelled
seat        anything (the seat never answered) seat_unavailable
==========  =================================  =====================

An ``Originate`` is never re-sent after an AMI reconnect (:mod:`centralino.ami`): a lost one
is a failed attempt, and the attempt id makes a late result harmless.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from acd.ami_events import MalformedEvent
from acd.queue_status import AmiActions
from centralino.ami import AmiError
from config.settings import CallbackSettings
from cti.callbacks import CallbackOutcome

log = structlog.get_logger(__name__)

RESULT_EVENT = "CallbackResult"
SEAT_CONTEXT = "callback-ring-seat"
DIAL_CONTEXT = "callback-dial"
ORIGINATE_MARGIN_SECONDS = 5  # the Originate waits this much longer than the seat rings
_DIALLABLE = re.compile(r"\+?[0-9]{3,20}")
_CALLER_OUTCOMES = {
    "ANSWER": CallbackOutcome.REACHED,
    "NOANSWER": CallbackOutcome.NO_ANSWER,
    "BUSY": CallbackOutcome.BUSY,
    "CANCEL": CallbackOutcome.CANCELLED,
    "": CallbackOutcome.CANCELLED,
}


class DialFailed(Exception):
    """Asterisk did not take the callback call; the message says why."""


@dataclass(frozen=True, slots=True)
class CallbackResult:
    """How one attempt's call ended, as the dialplan said."""

    attempt_id: int
    leg: str  # "seat" or "caller"
    dial_status: str

    @property
    def outcome(self) -> CallbackOutcome:
        return outcome_of(self.leg, self.dial_status)


def outcome_of(leg: str, dial_status: str) -> CallbackOutcome:
    """The attempt's outcome from the leg that ended it and that leg's DIALSTATUS."""
    if leg == "seat":
        return CallbackOutcome.SEAT_UNAVAILABLE
    return _CALLER_OUTCOMES.get(dial_status.strip().upper(), CallbackOutcome.WRONG_NUMBER)


def parse_result(event: Mapping[str, Any]) -> CallbackResult | None:
    """The result in a ``UserEvent`` message; ``None`` for other user events.

    Raises :class:`MalformedEvent` for a CallbackResult without a usable attempt id or leg.
    """
    if event.get("UserEvent") != RESULT_EVENT:
        return None
    attempt, leg = str(event.get("Attempt", "")).strip(), str(event.get("Leg", "")).strip()
    if not attempt.isdigit() or leg not in ("seat", "caller"):
        raise MalformedEvent(f"CallbackResult with Attempt={attempt!r}, Leg={leg!r}")
    return CallbackResult(int(attempt), leg, str(event.get("DialStatus", "")).strip())


class CallbackDialer:
    """Starts callback calls and hands their results to whoever listens."""

    def __init__(self, ami: AmiActions, settings: CallbackSettings) -> None:
        self._ami = ami
        self._settings = settings

    async def dial(self, attempt_id: int, seat: str, number: str) -> None:
        """Ring ``seat``, then ``number`` (E.164). Raises :class:`DialFailed` if Asterisk does
        not queue the call, ValueError for a number that is not digits."""
        if not _DIALLABLE.fullmatch(number):
            raise ValueError(f"not a number to dial: {number!r}")
        variables = ",".join([
            f"__CENTRALINO_ATTEMPT={attempt_id}",
            f"__CENTRALINO_RING_SECONDS={self._settings.ring_seat_seconds}",
            f"__CENTRALINO_DIAL_SECONDS={self._settings.dial_caller_seconds}"])
        timeout_ms = (self._settings.ring_seat_seconds + ORIGINATE_MARGIN_SECONDS) * 1000
        try:
            response = await self._ami.send_action({
                "Action": "Originate", "Channel": f"Local/{seat}@{SEAT_CONTEXT}/n",
                "Context": DIAL_CONTEXT, "Exten": number, "Priority": "1",
                "CallerID": f"Richiamata <{number}>", "Timeout": str(timeout_ms),
                "Variable": variables, "Async": "true",
                "ActionID": f"callback-{attempt_id}"}, as_list=False)
        except AmiError as exc:
            raise DialFailed(str(exc)) from exc
        if response.get("Response") != "Success":
            raise DialFailed(f"Originate refused: {response.get('Message', 'no reason given')}")


class AmiEvents(Protocol):
    """What :func:`follow_results` needs of :class:`centralino.ami.AmiClient`."""

    def on_event(self, name_or_pattern: str, callback: Callable[[Any], None]) -> None: ...


def follow_results(ami: AmiEvents, handler: Callable[[CallbackResult], None]) -> None:
    """Call ``handler`` with every CallbackResult Asterisk reports; call before ``ami.start()``."""
    def dispatch(event: Any) -> None:
        try:
            result = parse_result(event)
        except MalformedEvent as exc:
            log.warning("callbacks.malformed_result", error=str(exc))
            return
        if result is not None:
            handler(result)

    ami.on_event("UserEvent", dispatch)
