"""Contacts: people the center knows, found by phone number or by the PIN keyed in the IVR.

A PIN is never stored: the table keeps its HMAC-SHA256 under the server's PIN key (a secret
outside the repository), so a PIN can be looked up by equality but not read back from a dump.
"""

from __future__ import annotations

import hashlib
import hmac

import phonenumbers
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cti.tickets.models import Contact

PIN_DIGITS = (4, 16)


def pin_digest(pin: str, key: str) -> str:
    """The stored form of ``pin``; raises ValueError unless it is 4 to 16 digits."""
    if not (pin.isascii() and pin.isdigit() and PIN_DIGITS[0] <= len(pin) <= PIN_DIGITS[1]):
        raise ValueError(f"a PIN is {PIN_DIGITS[0]} to {PIN_DIGITS[1]} digits")
    return hmac.new(key.encode(), pin.encode(), hashlib.sha256).hexdigest()


def normalize_phone(number: str, region: str = "IT") -> str:
    """``number`` in E.164 (``+39...``); raises ValueError naming what is wrong."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {number!r} ({exc})") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError(f"not a possible phone number: {number!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_variants(number: str, region: str = "IT") -> list[str]:
    """The ways a trunk may present ``number`` as caller id: E.164, ``00``-prefixed, national.

    Empty for something that is not a phone number. The national form is included only for
    numbers of ``region``'s own country (``+39 339 ...`` also arrives as ``339...``).
    """
    try:
        e164 = normalize_phone(number, region)
    except ValueError:
        return []
    variants = [e164, "00" + e164[1:]]
    parsed = phonenumbers.parse(e164)
    if parsed.country_code == phonenumbers.country_code_for_region(region):
        variants.append(phonenumbers.national_significant_number(parsed))
    return variants


async def add_contact(session: AsyncSession, name: str, *, phone: str | None = None,
                      pin: str | None = None, pin_key: str = "") -> Contact:
    """Store a contact; ``phone`` is normalised, ``pin`` kept only as its digest."""
    contact = Contact(name=name, phone=normalize_phone(phone) if phone else None,
                      pin_digest=pin_digest(pin, pin_key) if pin else None)
    session.add(contact)
    try:
        await session.commit()
    except IntegrityError:  # the unique digest
        await session.rollback()
        raise ValueError("that PIN is already another contact's: choose another") from None
    return contact


async def list_contacts(session: AsyncSession, limit: int = 100) -> list[Contact]:
    """The ``limit`` newest contacts."""
    result = await session.execute(select(Contact).order_by(Contact.id.desc()).limit(limit))
    return list(result.scalars().all())


async def contact_by_phone(session: AsyncSession, number: str, region: str = "IT",
                           ) -> Contact | None:
    """The contact whose phone is ``number`` (a caller id, in any form ``normalize_phone``
    takes); the newest if several share it; None for an unknown or malformed number."""
    try:
        phone = normalize_phone(number, region)
    except ValueError:
        return None
    return await session.scalar(
        select(Contact).where(Contact.phone == phone).order_by(Contact.id.desc()).limit(1))


async def contact_by_pin(session: AsyncSession, pin: str, pin_key: str) -> Contact | None:
    """The contact whose PIN is ``pin`` (None for an unknown or malformed PIN)."""
    try:
        digest = pin_digest(pin, pin_key)
    except ValueError:
        return None
    return await session.scalar(select(Contact).where(Contact.pin_digest == digest))
