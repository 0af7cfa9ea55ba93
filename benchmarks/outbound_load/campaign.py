"""The engine's side of the list: the benchmark's campaign made, its list imported and the
campaign started in the engine's database with the store's functions (what the campaign CLI
does), and what the engine recorded of each attempt read back."""

from __future__ import annotations

import csv
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from centralino.core.db import create_engine, session_factory, upgrade_database
from config.campaign import CampaignFile
from config.loader import load_yaml_model
from outbound.lists import read_contact_list
from outbound.models import CampaignAttempt
from outbound.script_files import load_script
from outbound.store import change_state, create_campaign, import_contacts
from tests.integration.outbound.customers import (
    BUSY,
    HUMAN,
    MACHINE,
    NO_ANSWER,
    customer_number,
)

CAMPAIGN_FILE = Path(__file__).with_name("campaign.yaml")
MIX = ((HUMAN, 12), (BUSY, 3), (NO_ANSWER, 3), (MACHINE, 2))
"""The customers, by kind, in every 20: 60 % answer and press 1, 15 % busy, 15 % no answer,
10 % answering machines."""
KINDS = {HUMAN: "human", BUSY: "busy", NO_ANSWER: "no_answer", MACHINE: "machine"}


def contact_numbers(count: int, seed: int = 13) -> list[str]:
    """``count`` distinct numbers in :data:`MIX`'s proportions, in a shuffled order."""
    kinds = [kind for kind, share in MIX for _ in range(share)]
    numbers = [customer_number(kinds[n % len(kinds)], n) for n in range(count)]
    random.Random(seed).shuffle(numbers)
    return numbers


def campaign_file() -> CampaignFile:
    return load_yaml_model(CAMPAIGN_FILE, CampaignFile)


def write_list(path: Path, numbers: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["phone"])
        writer.writerows([number] for number in numbers)


async def prepare(database_url: str, list_file: Path) -> int:
    """The campaign made (draft) with the list imported, in the database at the current
    schema; its id."""
    await upgrade_database(database_url)
    file = campaign_file()
    contacts = read_contact_list(list_file, languages=load_script(file.script).languages)
    db = create_engine(database_url)
    try:
        async with session_factory(db)() as session:
            now = datetime.now(UTC)
            made = await create_campaign(session, file, CAMPAIGN_FILE.read_text(encoding="utf-8"),
                                         [file.script], now=now)
            await import_contacts(session, made.id, contacts, now=now)
            return made.id
    finally:
        await db.dispose()


async def start(database_url: str, campaign_id: int) -> None:
    db = create_engine(database_url)
    try:
        async with session_factory(db)() as session:
            await change_state(session, campaign_id, "start", now=datetime.now(UTC))
    finally:
        await db.dispose()


async def recorded(database_url: str, campaign_id: int
                   ) -> tuple[Counter[str], Counter[str], int]:
    """The campaign's attempts per phone, its dispositions, and attempts not ended yet."""
    db = create_engine(database_url)
    try:
        async with session_factory(db)() as session:
            rows = (await session.execute(
                select(CampaignAttempt.phone, CampaignAttempt.disposition).where(
                    CampaignAttempt.campaign_id == campaign_id))).all()
    finally:
        await db.dispose()
    return (Counter(phone for phone, _ in rows),
            Counter(disposition or "unfinished" for _, disposition in rows),
            sum(1 for _, disposition in rows if disposition is None))
