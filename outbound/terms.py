"""The campaigns' vocabulary other domains may use: states, contact statuses, dispositions."""

from __future__ import annotations

from enum import StrEnum


class CampaignState(StrEnum):
    """Where a campaign is: made (``draft``), dialling, held, stopped for good, or done."""

    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    FINISHED = "finished"  # every contact reached an end


class ContactStatus(StrEnum):
    """Where one contact of a campaign is."""

    PENDING = "pending"  # to be called at ``next_at`` (first call, retry, or next stage)
    CALLING = "calling"  # an attempt is in flight
    DONE = "done"  # reached (the script's outcome), or marked done by hand (``paid``)
    OPTED_OUT = "opted_out"  # pressed the opt-out key: on the do-not-call list now
    DNC = "dnc"  # on the do-not-call list when its turn came: never dialled
    EXPIRED = "expired"  # its ``expire_days`` passed before it was reached
    EXHAUSTED = "exhausted"  # its attempts or retries are used up
    INVALID = "invalid"  # the network said the number does not exist: never retried


OPEN_CONTACT_STATUSES = (ContactStatus.PENDING, ContactStatus.CALLING)


class Disposition(StrEnum):
    """How an attempt's call ended."""

    HUMAN = "human"  # answered, and AMD heard a person (or could not tell)
    MACHINE = "machine"  # answered by an answering machine
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CONGESTION = "congestion"  # the network's: retried soon, not counted as an attempt
    INVALID_NUMBER = "invalid_number"  # never retried
    FAILED = "failed"  # anything else, an attempt lost with Asterisk too


ANSWERED_DISPOSITIONS = (Disposition.HUMAN, Disposition.MACHINE)


class DncSource(StrEnum):
    """How a number came onto the do-not-call list."""

    CLI = "cli"
    API = "api"
    IMPORT = "import"  # a file (the national opt-out register's extract)
    OPT_OUT = "opt_out"  # the customer pressed the script's opt-out key
