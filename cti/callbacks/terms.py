"""The callbacks' vocabulary other domains may use: reasons, statuses, outcomes (no tables)."""

from __future__ import annotations

from enum import StrEnum


class CallbackReason(StrEnum):
    VOICEMAIL = "voicemail"  # the caller left a message
    ABANDONED = "abandoned"  # hung up while waiting in the operators' queue
    MISSED = "missed"  # hung up while the center could not serve them, without a message


class CallbackStatus(StrEnum):
    OPEN = "open"  # waiting for its due time and an operator
    IN_PROGRESS = "in_progress"  # a call is being made
    REACHED = "reached"
    UNREACHABLE = "unreachable"  # every attempt went unanswered
    CLOSED = "closed"  # not worth another call (a wrong number)


class CallbackOutcome(StrEnum):
    """How one attempt ended (see :mod:`cti.callbacks.dialer` for the DIALSTATUS mapping)."""

    REACHED = "reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"
    # The operator's side: the attempt does not count against the caller.
    SEAT_UNAVAILABLE = "seat_unavailable"  # the seat did not answer (or could not ring)
    CANCELLED = "cancelled"  # the operator hung up before the caller answered
    FAILED = "failed"  # Asterisk refused the call, or the engine lost track of it


ACTIVE_STATUSES = (CallbackStatus.OPEN, CallbackStatus.IN_PROGRESS)
