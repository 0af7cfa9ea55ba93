"""Ticket tracking codes: 9 digits a caller can hear, read back and key on a phone keypad.

Eight random digits (from :mod:`secrets`) followed by a Damm check digit: every single mistyped
digit and every swap of two adjacent digits makes the code invalid, so a wrong code is refused
instead of finding someone else's ticket. Digits only, because callers key them as DTMF.
"""

from __future__ import annotations

import secrets

from stdnum import damm

RANDOM_DIGITS = 8
LENGTH = RANDOM_DIGITS + 1


def new_tracking_code() -> str:
    """A fresh random code such as ``"482913075"``. Uniqueness is enforced by the database."""
    body = "".join(secrets.choice("0123456789") for _ in range(RANDOM_DIGITS))
    return body + damm.calc_check_digit(body)


def is_valid_tracking_code(code: str) -> bool:
    """True for exactly 9 ASCII digits whose last digit is the Damm check digit of the rest."""
    return len(code) == LENGTH and code.isascii() and code.isdigit() and damm.is_valid(code)


def format_for_display(code: str) -> str:
    """Group digits by three for reading out: ``"482913075"`` becomes ``"482 913 075"``."""
    return " ".join(code[i:i + 3] for i in range(0, len(code), 3))
