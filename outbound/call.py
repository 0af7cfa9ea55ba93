"""The Stasis entry ``campaign``: an answered campaign call, handed to its script.

The dialplan (``campaign-answered``) enters ``Stasis(app,campaign,LINKEDID,ATTEMPT,AMDSTATUS,
AMDCAUSE)``. :class:`CampaignCall` checks those arguments (a malformed call is logged and hung
up), tells the dial loop the attempt was answered, runs the injected script
(``run(session, attempt_id, amd_status, amd_cause)``, built by the scripts' runner) and tells
the dial loop when the call is over, which stores the attempt as human or machine unless the
script stored its own result first.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import structlog

from centralino.core.call_session import CallHungUp, CallSession
from centralino.core.calls.terms import CAMPAIGN_ENTRY
from outbound.dialer import answered_disposition
from outbound.store import AttemptReport

log = structlog.get_logger(__name__)

ENTRY = CAMPAIGN_ENTRY
AMD_STATUSES = frozenset({"HUMAN", "MACHINE", "NOTSURE", "HANGUP", ""})
_AMD_CAUSE = re.compile(r"[A-Z]*(-[0-9]+)*")  # TOOLONG-3500, MAXWORDS-3-3, HUMAN-800-800
_LINKEDID = re.compile(r"[0-9]{1,20}\.[0-9]{1,10}")

CampaignScript = Callable[[CallSession, int, str, str], Awaitable[None]]
"""``run(session, attempt_id, amd_status, amd_cause)``: what the answered customer hears."""


@dataclass(frozen=True, slots=True)
class CallArgs:
    """What ``campaign-answered`` tells about the call."""

    linkedid: str
    attempt_id: int
    amd_status: str
    amd_cause: str


def parse_args(args: list[str]) -> CallArgs:
    """The arguments after the entry name; ValueError saying what is wrong."""
    if len(args) != 5 or args[0] != ENTRY:
        raise ValueError(f"expected {ENTRY},LINKEDID,ATTEMPT,AMDSTATUS,AMDCAUSE, got {args!r}")
    _, linkedid, attempt, status, cause = args
    if not _LINKEDID.fullmatch(linkedid):
        raise ValueError(f"not a linkedid: {linkedid!r}")
    if not (attempt.isascii() and attempt.isdigit() and len(attempt) <= 18):
        raise ValueError(f"not an attempt id: {attempt!r}")
    if status not in AMD_STATUSES or not _AMD_CAUSE.fullmatch(cause) or len(cause) > 60:
        raise ValueError(f"not an AMD verdict: {status!r} {cause!r}")
    return CallArgs(linkedid, int(attempt), status, cause)


class AnsweredCalls(Protocol):
    """What the call needs of the dial loop (:class:`outbound.service.OutboundService`)."""

    def answered(self, attempt_id: int) -> None: ...

    async def call_ended(self, attempt_id: int, report: AttemptReport) -> None: ...


class CampaignCall:
    """The call script of the ``campaign`` entry."""

    def __init__(self, run: CampaignScript, calls: AnsweredCalls) -> None:
        self._run = run
        self._calls = calls

    async def __call__(self, session: CallSession) -> None:
        try:
            args = parse_args(session.args)
        except ValueError as exc:
            log.warning("outbound.malformed_call", error=str(exc))
            await session.hangup()
            return
        log.info("outbound.answered", attempt=args.attempt_id, amd=args.amd_status,
                 amd_cause=args.amd_cause)
        self._calls.answered(args.attempt_id)
        try:
            await self._run(session, args.attempt_id, args.amd_status, args.amd_cause)
        except CallHungUp:
            log.info("outbound.customer_hung_up", attempt=args.attempt_id)
        finally:
            await self._calls.call_ended(args.attempt_id, AttemptReport(
                answered_disposition(args.amd_status), "ANSWER", None, args.amd_status or None,
                args.amd_cause or None, answered_at=session.answered_at,
                linkedid=args.linkedid))

