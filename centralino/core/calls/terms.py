"""The calls' vocabulary other domains may use: how a call ended, who placed it; without the
table."""

from __future__ import annotations

from enum import StrEnum


class CallDisposition(StrEnum):
    """How a call is doing (``in_progress``, ``answered``) or how it ended."""

    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    ABANDONED = "abandoned"  # the caller hung up before the engine answered
    FAILED = "failed"
    LOST = "lost"  # the engine or Asterisk went away; closed at recovery


class CallOrigin(StrEnum):
    """Who placed the call: a caller on the toll-free number, or the engine itself."""

    INBOUND = "inbound"
    CALLBACK = "callback"
    CAMPAIGN = "campaign"


# The Stasis entries of the calls the engine places, by origin (the dialplan passes the entry).
CAMPAIGN_ENTRY = "campaign"
_ORIGIN_BY_ENTRY = {CAMPAIGN_ENTRY: CallOrigin.CAMPAIGN}


def origin_of_entry(entry: str) -> CallOrigin:
    """The origin of a call that entered Stasis at ``entry``."""
    return _ORIGIN_BY_ENTRY.get(entry, CallOrigin.INBOUND)
