"""Callback calls: ring the operator's seat first, then dial the caller.

One attempt is one ``Originate`` (:func:`centralino.core.dialing.originate`) of
``Local/SEAT@callback-ring-seat/n`` into ``callback-dial,NUMBER``
(config/asterisk/extensions.conf.j2): the seat rings for ``callbacks.ring_seat_seconds``; once
it answers, the caller is dialled through the trunk for ``callbacks.dial_caller_seconds``. The
dialplan reports how the attempt went with ``UserEvent(CallbackResult)`` — ``Attempt`` (the
``callback_attempts`` id), ``Leg`` and ``DialStatus`` — when the caller answers and when the
attempt's call ends (the first report of an attempt counts), mapped by :func:`outcome_of`:

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
"""

from __future__ import annotations

from collections.abc import Callable

from centralino.core.dialing import (
    DIALLABLE,
    AmiActions,
    AmiEvents,
    DialOutcome,
    DialReport,
    follow_reports,
    originate,
)
from config.settings import CallbackSettings
from cti.callbacks.models import CallbackOutcome

RESULT_EVENT = "CallbackResult"
LEGS = ("seat", "caller")
SEAT_CONTEXT = "callback-ring-seat"
DIAL_CONTEXT = "callback-dial"
ORIGINATE_MARGIN_SECONDS = 5  # the Originate waits this much longer than the seat rings
_CALLER_OUTCOMES = {
    DialOutcome.ANSWERED: CallbackOutcome.REACHED,
    DialOutcome.NO_ANSWER: CallbackOutcome.NO_ANSWER,
    DialOutcome.BUSY: CallbackOutcome.BUSY,
    DialOutcome.CANCELLED: CallbackOutcome.CANCELLED,
}


def outcome_of(report: DialReport) -> CallbackOutcome:
    """The attempt's outcome from the leg that ended it and that leg's DIALSTATUS."""
    if report.leg == "seat":
        return CallbackOutcome.SEAT_UNAVAILABLE
    return _CALLER_OUTCOMES.get(report.outcome, CallbackOutcome.WRONG_NUMBER)


class CallbackDialer:
    """Starts callback calls; :func:`follow_results` hands their results to whoever listens."""

    def __init__(self, ami: AmiActions, settings: CallbackSettings) -> None:
        self._ami = ami
        self._settings = settings

    async def dial(self, attempt_id: int, seat: str, number: str) -> None:
        """Ring ``seat``, then ``number`` (E.164). Raises
        :class:`~centralino.core.dialing.DialFailed` if Asterisk does not queue the call,
        ValueError for a number that is not digits."""
        if not DIALLABLE.fullmatch(number):
            raise ValueError(f"not a number to dial: {number!r}")
        await originate(
            self._ami, action_id=f"callback-{attempt_id}",
            channel=f"Local/{seat}@{SEAT_CONTEXT}/n", context=DIAL_CONTEXT, exten=number,
            caller_id=f"Richiamata <{number}>",
            timeout_seconds=self._settings.ring_seat_seconds + ORIGINATE_MARGIN_SECONDS,
            variables={"__CENTRALINO_ATTEMPT": str(attempt_id),
                       "__CENTRALINO_RING_SECONDS": str(self._settings.ring_seat_seconds),
                       "__CENTRALINO_DIAL_SECONDS": str(self._settings.dial_caller_seconds)})


def follow_results(ami: AmiEvents, handler: Callable[[DialReport], None]) -> None:
    """Call ``handler`` with every CallbackResult Asterisk reports; call before ``ami.start()``."""
    follow_reports(ami, RESULT_EVENT, LEGS, handler)
