"""Campaign calls: one AMI ``Originate`` per attempt and the dialplan's report of how it ended.

One attempt is one ``Originate`` (:func:`centralino.core.dialing.originate`, ActionID
``campaign-<attempt id>``, never re-sent) of ``Local/NUMBER@campaign-dial/n`` into
``campaign-answered,s`` (config/asterisk/extensions.conf.j2). The customer rings through the
trunk for the campaign's ``ring_seconds``; an answered call runs ``AMD()`` and enters Stasis
(entry ``campaign``, :mod:`outbound.call`); any other end is reported with
``UserEvent(CampaignResult)`` — ``Attempt``, ``Leg: customer``, ``DialStatus`` and the leg's
``HangupCause`` — mapped to a :class:`~outbound.terms.Disposition` by :func:`disposition_of`:

=================================================  ==============
DIALSTATUS / HANGUPCAUSE / AMDSTATUS               disposition
=================================================  ==============
answered, AMD HUMAN, NOTSURE, HANGUP, none         human
answered, AMD MACHINE                              machine
BUSY (cause 17)                                    busy
NOANSWER (cause 18, 19)                            no_answer
CHANUNAVAIL; any status with cause 1, 3 or 28      invalid_number
CONGESTION (any other cause)                       congestion
anything else (CANCEL: the call was cut short)     failed
=================================================  ==============
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
from outbound.terms import Disposition

RESULT_EVENT = "CampaignResult"
LEGS = ("customer",)
DIAL_CONTEXT = "campaign-dial"
ANSWERED_CONTEXT = "campaign-answered"
ORIGINATE_MARGIN_SECONDS = 10  # the Originate outlasts the ring: AMD runs before ;1 answers
# Q.850 causes that say the number itself is wrong: unallocated, no route to destination,
# invalid number format. Never worth another call.
INVALID_NUMBER_CAUSES = frozenset({1, 3, 28})
_BY_OUTCOME = {
    DialOutcome.BUSY: Disposition.BUSY,
    DialOutcome.NO_ANSWER: Disposition.NO_ANSWER,
    DialOutcome.UNAVAILABLE: Disposition.INVALID_NUMBER,
    DialOutcome.CONGESTION: Disposition.CONGESTION,
}


def action_id(attempt_id: int) -> str:
    """The ActionID of an attempt's ``Originate``."""
    return f"campaign-{attempt_id}"


def disposition_of(report: DialReport) -> Disposition:
    """The disposition of a leg that was never answered (its DIALSTATUS and hang-up cause)."""
    if report.hangup_cause in INVALID_NUMBER_CAUSES:
        return Disposition.INVALID_NUMBER
    return _BY_OUTCOME.get(report.outcome, Disposition.FAILED)


def answered_disposition(amd_status: str) -> Disposition:
    """The disposition of an answered call from ``AMDSTATUS``: only MACHINE is a machine (a
    person who was not recognised hears the script rather than being cut off)."""
    return Disposition.MACHINE if amd_status == "MACHINE" else Disposition.HUMAN


class CampaignDialer:
    """Starts campaign calls; :func:`follow_results` hands their reports to whoever listens."""

    def __init__(self, ami: AmiActions) -> None:
        self._ami = ami

    async def dial(self, attempt_id: int, number: str, *, ring_seconds: int, caller_id: str,
                   campaign_id: int) -> None:
        """Ring ``number`` (E.164) for ``ring_seconds`` from ``caller_id``.

        Raises :class:`~centralino.core.dialing.DialFailed` if Asterisk does not queue the call
        (whether it dialled is then unknown: never re-send it), ValueError for a number or
        caller id that is not digits.
        """
        for value in (number, caller_id):
            if not DIALLABLE.fullmatch(value):
                raise ValueError(f"not a number: {value!r}")
        await originate(
            self._ami, action_id=action_id(attempt_id),
            channel=f"Local/{number}@{DIAL_CONTEXT}/n", context=ANSWERED_CONTEXT, exten="s",
            caller_id=f"<{caller_id}>",
            timeout_seconds=ring_seconds + ORIGINATE_MARGIN_SECONDS,
            variables={"__CENTRALINO_ATTEMPT": str(attempt_id),
                       "__CENTRALINO_CAMPAIGN": str(campaign_id),
                       "__CENTRALINO_RING_SECONDS": str(ring_seconds),
                       "__CENTRALINO_CALLER_ID": caller_id})


    async def numbers_in_calls(self) -> set[str]:
        """The numbers Asterisk has a campaign call to now (its ``campaign-dial`` channels:
        ringing, or answered and bridged). Raises :class:`~centralino.core.ami.AmiError` when
        Asterisk cannot be asked."""
        listed = await self._ami.send_action({"Action": "CoreShowChannels"}, as_list=True)
        return {str(channel.get("Exten", "")) for channel in listed
                if channel.get("Event") == "CoreShowChannel"
                and channel.get("Context") == DIAL_CONTEXT}


def follow_results(ami: AmiEvents, handler: Callable[[DialReport], None]) -> None:
    """Call ``handler`` with every CampaignResult Asterisk reports; call before ``ami.start()``."""
    follow_reports(ami, RESULT_EVENT, LEGS, handler)
