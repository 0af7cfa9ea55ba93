"""Dates, amounts in euros and digits said in Italian and English, as Asterisk's core sounds
(and a few rendered words); and the values a contact list may hold for them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from outbound.say import (
    Words,
    amount_media,
    check_value,
    date_sounds,
    number_sounds,
    parse_amount,
    parse_date,
    say,
    sounds_used,
)

WORDS = Words({(language, word): f"word:{language}:{word}"
               for language in ("it", "en")
               for word in ("one", "euro", "euros", "and", "cent", "cents")})

# The digits/ sounds of Debian's asterisk-core-sounds-{it,en}-wav 1.6.1 (it_IT_m_Carlo and
# en_US_f_Allison): what the sayings may use.
_COMMON = ({str(n) for n in range(21)} | {str(n) for n in range(30, 100, 10)}
           | {f"day-{n}" for n in range(7)} | {f"mon-{n}" for n in range(12)}
           | {f"h-{n}" for n in (*range(1, 21), 30, 40, 50, 60, 70, 80, 90)}
           | {"hundred", "thousand", "million", "billion", "minus", "oh", "star", "pound"})
SHIPPED = {
    "it": {f"digits/{name}" for name in _COMMON | {"21", "28", "31", "38", "41", "48", "51",
                                                  "58", "61", "68", "71", "78", "81", "88",
                                                  "91", "98", "thousands", "millions", "un",
                                                  "e", "euros"}},
    "en": {f"digits/{name}" for name in _COMMON},
}


@pytest.mark.parametrize(("number", "language", "sounds"), [
    (0, "it", ["0"]),
    (17, "en", ["17"]),
    (42, "en", ["40", "2"]),
    (42, "it", ["40", "2"]),
    (21, "it", ["21"]),  # ventuno, one word
    (21, "en", ["20", "1"]),
    (100, "it", ["hundred"]),  # cento, not "uno cento"
    (100, "en", ["1", "hundred"]),
    (250, "it", ["2", "hundred", "50"]),
    (1000, "it", ["thousand"]),  # mille
    (2025, "it", ["2", "thousands", "20", "5"]),  # duemila venti cinque
    (2025, "en", ["2", "thousand", "20", "5"]),
    (1_500_000, "it", ["million", "5", "hundred", "thousands"]),
    (3_000_000, "en", ["3", "million"]),
])
def test_numbers_are_said_as_asterisk_joins_its_digit_sounds(number: int, language: str,
                                                            sounds: list[str]) -> None:
    assert number_sounds(number, language) == [f"digits/{s}" for s in sounds]


def test_a_date_is_said_with_its_weekday_in_each_language() -> None:
    monday = date(2025, 3, 3)
    assert date_sounds(monday, "it") == ["digits/day-1", "digits/3", "digits/mon-2",
                                         "digits/2", "digits/thousands", "digits/20",
                                         "digits/5"]
    assert date_sounds(monday, "en")[:3] == ["digits/day-1", "digits/mon-2", "digits/h-3"]
    assert date_sounds(date(2025, 6, 1), "it")[1] == "digits/h-1"  # primo giugno
    assert date_sounds(date(2025, 6, 21), "en")[2:4] == ["digits/20", "digits/h-1"]
    assert date_sounds(date(2025, 3, 2), "it")[0] == "digits/day-0"  # a Sunday


def test_an_amount_says_euros_and_cents_with_the_words_rendered_beforehand() -> None:
    assert amount_media(Decimal("12.50"), "it", WORDS) == [
        "sound:digits/12", "word:it:euros", "word:it:and", "sound:digits/50", "word:it:cents"]
    assert amount_media(Decimal("1.01"), "en", WORDS) == [
        "word:en:one", "word:en:euro", "word:en:and", "word:en:one", "word:en:cent"]
    assert amount_media(Decimal("0.30"), "en", WORDS) == ["sound:digits/30", "word:en:cents"]
    assert amount_media(Decimal("0"), "it", WORDS) == ["sound:digits/0", "word:it:euros"]


def test_say_reads_the_list_value_of_each_kind() -> None:
    assert say("amount", "7,05", "it", WORDS)[-2:] == ["sound:digits/5", "word:it:cents"]
    assert say("digits", "0 42", "en", WORDS) == ["sound:digits/0", "sound:digits/4",
                                                  "sound:digits/2"]
    assert say("date", "31/12/2025", "it", WORDS)[2] == "sound:digits/mon-11"


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("kind", ["date", "amount", "digits"])
def test_every_sound_a_saying_may_play_is_in_the_core_sounds(kind: str, language: str) -> None:
    used = sounds_used(kind, language)  # type: ignore[arg-type]
    assert used - SHIPPED[language] == set()
    assert used  # the check below would pass on nothing


def test_sounds_used_covers_what_is_said() -> None:
    for year_day in range(0, 366, 7):
        day = date.fromordinal(date(2024, 1, 1).toordinal() + year_day)
        assert set(date_sounds(day, "en")) <= sounds_used("date", "en")


@pytest.mark.parametrize(("text", "value"), [("2025-03-31", date(2025, 3, 31)),
                                             ("31/03/2025", date(2025, 3, 31))])
def test_dates_are_read_in_iso_and_italian_forms(text: str, value: date) -> None:
    assert parse_date(text) == value


@pytest.mark.parametrize(("text", "value"), [("12.50", "12.50"), ("12,5", "12.50"),
                                             ("€ 7", "7.00"), ("0,01", "0.01")])
def test_amounts_are_read_with_a_point_or_a_comma(text: str, value: str) -> None:
    assert parse_amount(text) == Decimal(value)


@pytest.mark.parametrize(("kind", "text", "message"), [
    ("date", "31/02/2025", "not a date"), ("date", "2025/03/31", "not a date"),
    ("amount", "1.234,50", "not an amount"), ("amount", "-3", "not an amount"),
    ("amount", "12.505", "not an amount"), ("digits", "12a4", "not digits"),
])
def test_values_that_are_not_of_their_kind_are_refused(kind: str, text: str,
                                                       message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_value(kind, text)  # type: ignore[arg-type]


def test_text_takes_anything() -> None:
    check_value("text", "anything at all")


def test_render_words_renders_each_word_once_per_language(tmp_path: Path) -> None:
    from ivr.prompts import PromptStore
    from outbound.say import render_words

    rendered: list[tuple[str, str]] = []

    class Store(PromptStore):
        def media_uri(self, item, language, base_dir):  # type: ignore[no-untyped-def]
            rendered.append((language, getattr(item, "tts", getattr(item, "sound", ""))))
            return "sound:x"

    words = render_words(Store(tmp_path, "/m"), ["it", "en", "fr"])
    assert len(words.media) == 12
    assert ("it", "centesimi") in rendered and ("en", "cents") in rendered
