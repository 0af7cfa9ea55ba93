"""The campaigns' tables: campaigns, their contacts, every attempt, the do-not-call list, and
the post-call surveys callers answered after an operator's call.

A campaign stores its YAML file as written (``definition``): what it does is read from it, so
the file a manager uploaded is always the one that runs. A number is in a campaign once
(``uq_campaign_contacts_campaign_id``); an attempt row exists from the moment it is claimed,
before the ``Originate``, so nothing is ever dialled without a row saying so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from centralino.core.db import Base, UTCDateTime, enum_check, utcnow
from outbound.terms import CampaignState, ContactStatus, Disposition, DncSource


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (enum_check("state", CampaignState),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # the script of each stage (0: the campaign's own), shipped names or absolute paths
    scripts: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default=CampaignState.DRAFT)
    definition: Mapped[str] = mapped_column(Text)  # the campaign file, as uploaded
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"Campaign(id={self.id!r}, name={self.name!r}, state={self.state!r})"


class CampaignContact(Base):
    """One number to call in one campaign, with the list's data for its script."""

    __tablename__ = "campaign_contacts"
    __table_args__ = (
        UniqueConstraint("campaign_id", "phone"),
        Index("ix_campaign_contacts_due", "campaign_id", "status", "next_at"),
        enum_check("status", ContactStatus),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Integer, ForeignKey("campaigns.id"))
    phone: Mapped[str] = mapped_column(String(32))  # E.164
    ticket: Mapped[str | None] = mapped_column(String(32))  # a tracking code
    language: Mapped[str | None] = mapped_column(String(8))
    variables: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=ContactStatus.PENDING)
    outcome: Mapped[str | None] = mapped_column(String(32))
    stage: Mapped[int] = mapped_column(Integer, default=0)  # 0: the campaign's script
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # counted, in this stage
    retries: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # per disposition
    next_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CampaignAttempt(Base):
    """One call placed for a contact: claimed, dialled, and how it ended."""

    __tablename__ = "campaign_attempts"
    __table_args__ = (
        Index("ix_campaign_attempts_contact_id", "contact_id"),
        Index("ix_campaign_attempts_phone_started_at", "phone", "started_at"),
        Index("ix_campaign_attempts_campaign_id", "campaign_id", "ended_at"),
        enum_check("disposition", Disposition),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Integer, ForeignKey("campaigns.id"))
    contact_id: Mapped[int] = mapped_column(Integer, ForeignKey("campaign_contacts.id"))
    phone: Mapped[str] = mapped_column(String(32))
    stage: Mapped[int] = mapped_column(Integer, default=0)
    engine: Mapped[str] = mapped_column(String(64))  # who claimed and dialled it
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disposition: Mapped[str | None] = mapped_column(String(16))
    dial_status: Mapped[str | None] = mapped_column(String(32))  # Asterisk's, as it said
    hangup_cause: Mapped[int | None] = mapped_column(Integer)
    amd_status: Mapped[str | None] = mapped_column(String(16))
    amd_cause: Mapped[str | None] = mapped_column(String(64))
    keys: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str | None] = mapped_column(String(32))  # the script's
    survey: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # item -> 1..5
    linkedid: Mapped[str | None] = mapped_column(String(64))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "stage": self.stage, "started_at": self.started_at.isoformat(),
                "answered_at": _iso(self.answered_at), "ended_at": _iso(self.ended_at),
                "disposition": self.disposition, "dial_status": self.dial_status,
                "hangup_cause": self.hangup_cause, "amd": self.amd_status,
                "amd_cause": self.amd_cause, "keys": self.keys, "outcome": self.outcome,
                "survey": dict(self.survey or {}), "engine": self.engine}


class DncNumber(Base):
    """A number never to be called by any campaign."""

    __tablename__ = "dnc_numbers"
    __table_args__ = (enum_check("source", DncSource),)

    phone: Mapped[str] = mapped_column(String(32), primary_key=True)  # E.164
    source: Mapped[str] = mapped_column(String(16))
    added_by: Mapped[str | None] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CallSurvey(Base):
    """The post-call survey of one call (its linkedid): the answers given, item -> 1..5."""

    __tablename__ = "call_surveys"
    __table_args__ = (Index("ix_call_surveys_started_at", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    answers: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    keys: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed: Mapped[bool] = mapped_column(Boolean, default=False)  # every item answered


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
