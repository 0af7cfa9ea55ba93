"""Outbound calls over AMI: one async ``Originate`` per attempt, never re-sent, and the
dialplan's report of how it went, as a neutral :class:`DialOutcome`.

What a domain dials (a callback, a campaign's attempt) is its own dialplan context. That
context reports each leg's end with ``UserEvent(NAME)`` carrying ``Attempt`` (the attempt's id),
``Leg`` and ``DialStatus`` (and, where the context reports it, ``HangupCause``: the leg's Q.850
cause); :func:`follow_reports` reads them for one NAME. An ``Originate`` is
never re-sent after an AMI reconnect (:mod:`centralino.core.ami`): a lost one is a failed
attempt, and the attempt id in the ActionID makes a late result harmless.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import phonenumbers
import structlog

from centralino.core import metrics
from centralino.core.ami import AmiError, MalformedEvent

log = structlog.get_logger(__name__)

DIALLABLE = re.compile(r"\+?[0-9]{3,20}")
_NUMBER_CHARACTERS = re.compile(r"\+?[0-9 ().-]+")


def e164_number(text: str | None, region: str) -> str | None:
    """``text`` (a number as people write it: digits, spaces, dots, dashes, brackets, a leading
    ``+``) in E.164 when it is a valid number of its country, else ``None`` (anonymous, a SIP
    user name, too short or too long); without a country code it is a number of ``region``."""
    if not text or not _NUMBER_CHARACTERS.fullmatch(text.strip()):
        return None
    try:
        parsed = phonenumbers.parse(text.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class DialOutcome(StrEnum):
    """How one leg's ``Dial()`` ended (Asterisk's DIALSTATUS, in words every domain shares)."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    CANCELLED = "cancelled"  # the calling side hung up before an answer
    CONGESTION = "congestion"
    UNAVAILABLE = "unavailable"  # CHANUNAVAIL: no way through to the number
    FAILED = "failed"  # any other status


_BY_DIAL_STATUS = {
    "ANSWER": DialOutcome.ANSWERED,
    "NOANSWER": DialOutcome.NO_ANSWER,
    "BUSY": DialOutcome.BUSY,
    "CANCEL": DialOutcome.CANCELLED,
    "": DialOutcome.CANCELLED,  # Dial() never ran to an end: the calling side left first
    "CONGESTION": DialOutcome.CONGESTION,
    "CHANUNAVAIL": DialOutcome.UNAVAILABLE,
}


def outcome_of(dial_status: str) -> DialOutcome:
    """The outcome a DIALSTATUS value stands for."""
    return _BY_DIAL_STATUS.get(dial_status.strip().upper(), DialOutcome.FAILED)


class DialFailed(Exception):
    """Asterisk did not take the call; the message says why."""


@dataclass(frozen=True, slots=True)
class DialReport:
    """One leg's end, as the dialplan reported it."""

    attempt_id: int
    leg: str
    dial_status: str
    hangup_cause: int | None = None  # the leg's Q.850 cause, if the context reports it

    @property
    def outcome(self) -> DialOutcome:
        return outcome_of(self.dial_status)


class AmiActions(Protocol):
    """What :func:`originate` needs of :class:`centralino.core.ami.AmiClient`."""

    async def send_action(self, action: dict[str, Any], timeout: float | None = None,
                          as_list: bool | None = None) -> Any: ...


class AmiEvents(Protocol):
    """What :func:`follow_reports` needs of :class:`centralino.core.ami.AmiClient`."""

    def on_event(self, name_or_pattern: str, callback: Callable[[Any], None]) -> None: ...


async def originate(ami: AmiActions, *, action_id: str, channel: str, context: str, exten: str,
                    caller_id: str, timeout_seconds: float,
                    variables: Mapping[str, str]) -> None:
    """Send one async ``Originate`` of ``channel`` into ``context,exten,1``.

    Raises :class:`DialFailed` if Asterisk does not queue the call.
    """
    try:
        response = await ami.send_action({
            "Action": "Originate", "Channel": channel, "Context": context, "Exten": exten,
            "Priority": "1", "CallerID": caller_id, "Timeout": str(int(timeout_seconds * 1000)),
            "Variable": ",".join(f"{name}={value}" for name, value in variables.items()),
            "Async": "true", "ActionID": action_id}, as_list=False)
    except AmiError as exc:
        raise DialFailed(str(exc)) from exc
    if response.get("Response") != "Success":
        raise DialFailed(f"Originate refused: {response.get('Message', 'no reason given')}")


def parse_report(event: Mapping[str, Any], name: str, legs: Collection[str]) -> DialReport | None:
    """The report in a ``UserEvent`` message named ``name``; ``None`` for other user events.

    Raises :class:`MalformedEvent` for a report without a usable attempt id or leg.
    """
    if event.get("UserEvent") != name:
        return None
    attempt, leg = str(event.get("Attempt", "")).strip(), str(event.get("Leg", "")).strip()
    # an attempt id is a database key: ASCII digits that fit in 64 bits
    if not (attempt.isascii() and attempt.isdigit() and len(attempt) <= 18) or leg not in legs:
        raise MalformedEvent(f"{name} with Attempt={attempt!r}, Leg={leg!r}")
    cause = str(event.get("HangupCause", "")).strip()
    return DialReport(int(attempt), leg, str(event.get("DialStatus", "")).strip(),
                      int(cause) if cause.isascii() and cause.isdigit() and len(cause) <= 3
                      else None)


def follow_reports(ami: AmiEvents, name: str, legs: Collection[str],
                   handler: Callable[[DialReport], None]) -> None:
    """Call ``handler`` with every ``name`` report Asterisk sends; call before ``ami.start()``."""
    def dispatch(event: Any) -> None:
        try:
            report = parse_report(event, name, legs)
        except MalformedEvent as exc:
            log.warning("dialing.malformed_report", error=str(exc))
            metrics.AMI_MALFORMED_EVENTS.labels(event="UserEvent").inc()
            return
        if report is not None:
            handler(report)

    ami.on_event("UserEvent", dispatch)
