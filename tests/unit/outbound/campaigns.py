"""Campaigns for the outbound tests: a campaign file, a stored campaign, contacts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from config.campaign import CampaignFile
from config.safe_yaml import parse_yaml
from outbound.lists import ContactList, ListContact
from outbound.models import Campaign
from outbound.store import change_state, create_campaign, import_contacts

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)  # a Monday, in the calling window


def campaign_text(name: str = "reminders", extra: str = "") -> str:
    return f"version: 1\nname: {name}\nscript: payment_reminder\n{extra}"


def contacts(*phones: str, merged: int = 0) -> ContactList:
    return ContactList([ListContact(phone=phone, line=n + 2, variables={"amount": "10.00"})
                        for n, phone in enumerate(phones)], merged)


async def running_campaign(session: AsyncSession, *phones: str, extra: str = "",
                           name: str = "reminders") -> Campaign:
    """A started campaign with ``phones`` imported at :data:`NOW`."""
    text = campaign_text(name, extra)
    file = CampaignFile.model_validate(parse_yaml(text)[0])
    scripts = [file.script, *(stage.script for stage in file.stages)]
    campaign = await create_campaign(session, file, text, scripts, now=NOW)
    if phones:
        await import_contacts(session, campaign.id, contacts(*phones), now=NOW)
    return await change_state(session, campaign.id, "start", now=NOW)
