"""The campaigns' vocabulary other domains may use (no tables)."""

from __future__ import annotations

from enum import StrEnum


class Disposition(StrEnum):
    """How one attempt's call ended (see :mod:`outbound.dialer` for the mapping)."""

    HUMAN = "human"
    MACHINE = "machine"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CONGESTION = "congestion"  # the network's: retried soon, not counted as an attempt
    INVALID_NUMBER = "invalid_number"  # never retried
    FAILED = "failed"
