"""What a call plays to say a contact's date, amount in euros or digits, in Italian or English.

Numbers, months, weekdays and ordinals are Asterisk's core sounds (``digits/...``), joined as
Asterisk's own ``SayNumber`` joins them for the language (``main/say.c``), but as ``sound:``
media so that a key or a hand-off can cut them short. The few words without a sound
("centesimi", "euros", "cents") are spoken by espeak-ng, rendered once by :func:`render_words`
when the script is loaded, so nothing slow runs while a contact listens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from centralino.core.call_session import digit_sounds
from config.menu import SayKind, SoundPrompt, TtsPrompt
from config.script import VariableType
from ivr.prompts import PromptStore

SAY_LANGUAGES = ("it", "en")
"""The languages a date, an amount or digits can be said in."""

MAX_AMOUNT = Decimal("999999999.99")
_ELIDED_IT = frozenset(tens + unit for tens in range(20, 100, 10) for unit in (1, 8))
_AMOUNT = re.compile(r"^(\d{1,9})(?:[.,](\d{1,2}))?$")
_WORDS: dict[str, dict[str, SoundPrompt | TtsPrompt]] = {
    "it": {"one": SoundPrompt(sound="digits/un"), "euro": SoundPrompt(sound="digits/euros"),
           "euros": SoundPrompt(sound="digits/euros"), "and": SoundPrompt(sound="digits/e"),
           "cent": TtsPrompt(tts="centesimo"), "cents": TtsPrompt(tts="centesimi")},
    "en": {"one": SoundPrompt(sound="digits/1"), "euro": TtsPrompt(tts="euro"),
           "euros": TtsPrompt(tts="euros"), "and": TtsPrompt(tts="and"),
           "cent": TtsPrompt(tts="cent"), "cents": TtsPrompt(tts="cents")},
}


@dataclass(frozen=True)
class Words:
    """The media URI of each word an amount needs, by (language, word)."""

    media: Mapping[tuple[str, str], str]

    def __call__(self, language: str, word: str) -> str:
        return self.media[(language, word)]


def render_words(store: PromptStore, languages: Iterable[str]) -> Words:
    """The words amounts need in ``languages``, TTS rendered (and cached) now: blocking."""
    return Words({(language, word): store.media_uri(item, language, Path("."))
                  for language in languages if language in _WORDS
                  for word, item in _WORDS[language].items()})


# -- reading a list's values ----------------------------------------------------------------


def parse_date(text: str) -> date:
    """A date written ``YYYY-MM-DD`` or ``DD/MM/YYYY``; ValueError saying what is wrong."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text[:40]!r} (write 2025-03-31 or 31/03/2025)")


def parse_amount(text: str) -> Decimal:
    """An amount in euros, ``12.50`` or ``12,50`` (no thousands separator); ValueError if not."""
    found = _AMOUNT.match(text.strip().removeprefix("€").strip())
    if found is None:
        raise ValueError(f"not an amount in euros: {text[:40]!r} (write 12.50 or 12,50)")
    try:
        return Decimal(f"{found[1]}.{found[2] or '0'}").quantize(Decimal("0.01"))
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise ValueError(f"not an amount in euros: {text[:40]!r}") from None


def parse_digits(text: str) -> str:
    """Digits only (spaces dropped), 1 to 32 of them; ValueError if not."""
    digits = text.replace(" ", "")
    if not digits.isdigit() or not digits.isascii() or len(digits) > 32:
        raise ValueError(f"not digits: {text[:40]!r}")
    return digits


def check_value(kind: VariableType, text: str) -> None:
    """Raise ValueError (its message for the person who wrote the list) unless ``text`` reads
    as a ``kind`` value. Text is anything."""
    if kind == "date":
        parse_date(text)
    elif kind == "amount":
        parse_amount(text)
    elif kind == "digits":
        parse_digits(text)


# -- saying ---------------------------------------------------------------------------------


def say(kind: SayKind, text: str, language: str, words: Words) -> list[str]:
    """The media URIs that say the value ``text`` as a ``kind`` in ``language``.

    ``language`` is one of :data:`SAY_LANGUAGES` (the script check sees to it); a value that
    does not read as its kind raises ValueError (the list check refuses such values).
    """
    if kind == "date":
        return _sounds(date_sounds(parse_date(text), language))
    if kind == "amount":
        return amount_media(parse_amount(text), language, words)
    return digit_sounds(parse_digits(text))


def number_sounds(number: int, language: str) -> list[str]:
    """The sound names (``digits/...``) saying a whole number from 0 to 999,999,999."""
    if not 0 <= number < 1_000_000_000:
        raise ValueError(f"cannot say {number}")
    italian = language == "it"
    if number < 20 or (italian and number in _ELIDED_IT):
        return [f"digits/{number}"]
    if number < 100:
        unit = number % 10
        return [f"digits/{number - unit}", *([f"digits/{unit}"] if unit else [])]
    for size, one, many in ((1_000_000, "million", "millions"), (1000, "thousand", "thousands"),
                            (100, "hundred", "hundred")):
        if number >= size:
            count, rest = divmod(number, size)
            if italian and count == 1:  # cento, mille, milione: no "one" before them
                said = [f"digits/{one}"]
            else:
                said = [*number_sounds(count, language), f"digits/{many if italian else one}"]
            return said + (number_sounds(rest, language) if rest else [])
    raise AssertionError("unreachable")  # pragma: no cover


def date_sounds(day: date, language: str) -> list[str]:
    """The sound names saying ``day`` with its weekday: "lunedì 3 marzo 2025",
    "Monday March 3rd 2025"."""
    weekday = f"digits/day-{(day.weekday() + 1) % 7}"  # Asterisk's day-0 is Sunday
    month = f"digits/mon-{day.month - 1}"
    year = number_sounds(day.year, language)
    if language == "it":
        ordinal = ["digits/h-1"] if day.day == 1 else number_sounds(day.day, language)
        return [weekday, *ordinal, month, *year]
    return [weekday, month, *_ordinal_en(day.day), *year]


def amount_media(amount: Decimal, language: str, words: Words) -> list[str]:
    """Media saying ``amount`` euros: "dodici euro e cinquanta centesimi"."""
    euros, cents = int(amount), int((amount * 100) % 100)
    said: list[str] = []
    if euros or not cents:
        said += _count(euros, "euro", "euros", language, words)
    if euros and cents:
        said.append(words(language, "and"))
    if cents:
        said += _count(cents, "cent", "cents", language, words)
    return said


def sounds_used(kind: SayKind, language: str) -> set[str]:
    """Every Asterisk sound saying a ``kind`` in ``language`` may play (for the script check)."""
    if kind == "digits":
        return {f"digits/{digit}" for digit in range(10)}
    numbers = {*range(1000), 1000, 2000, 10_000, 1_000_000, 2_000_000}
    found = {name for number in numbers for name in number_sounds(number, language)}
    if kind == "date":
        found |= {f"digits/day-{n}" for n in range(7)} | {f"digits/mon-{n}" for n in range(12)}
        found |= {name for day in range(1, 32) for name in (
            ["digits/h-1"] if language == "it" else _ordinal_en(day))}
    else:
        found |= {item.sound for item in _WORDS.get(language, {}).values()
                  if isinstance(item, SoundPrompt)}
    return found


def _count(number: int, one: str, many: str, language: str, words: Words) -> list[str]:
    if number == 1:
        return [words(language, "one"), words(language, one)]
    return [*_sounds(number_sounds(number, language)), words(language, many)]


def _ordinal_en(day: int) -> list[str]:
    """3 → third, 21 → twenty first (Asterisk's ``h-`` sounds go to 20, then 30)."""
    if day <= 20 or day == 30:
        return [f"digits/h-{day}"]
    return [f"digits/{day - day % 10}", f"digits/h-{day % 10}"]


def _sounds(names: Iterable[str]) -> list[str]:
    return [f"sound:{name}" for name in names]
