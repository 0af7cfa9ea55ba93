"""Tracking codes: 9 digits, and a mistyped or swapped digit is caught."""

from __future__ import annotations

import random

from cti.tickets.tracking import format_for_display, is_valid_tracking_code, new_tracking_code

CODES = [new_tracking_code() for _ in range(300)]


def test_a_new_code_is_nine_digits_and_valid() -> None:
    for code in CODES:
        assert len(code) == 9 and code.isdigit()
        assert is_valid_tracking_code(code)


def test_codes_are_random() -> None:
    assert len(set(CODES)) > 295


def test_any_single_mistyped_digit_is_detected() -> None:
    for code in CODES:
        for position in range(len(code)):
            for digit in "0123456789":
                if digit != code[position]:
                    typo = code[:position] + digit + code[position + 1:]
                    assert not is_valid_tracking_code(typo), (code, typo)


def test_any_swap_of_two_adjacent_different_digits_is_detected() -> None:
    for code in CODES:
        for i in range(len(code) - 1):
            if code[i] != code[i + 1]:
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
                assert not is_valid_tracking_code(swapped), (code, swapped)


def test_wrong_lengths_and_non_digits_are_invalid() -> None:
    code = random.choice(CODES)
    assert not is_valid_tracking_code(code[:-1])
    assert not is_valid_tracking_code(code + "0")
    assert not is_valid_tracking_code("")
    assert not is_valid_tracking_code(format_for_display(code))
    assert not is_valid_tracking_code("12345678a")
    assert not is_valid_tracking_code("١٢٣٤٥٦٧٨٩")  # non-ASCII digits


def test_codes_are_displayed_in_groups_of_three() -> None:
    assert format_for_display("123456789") == "123 456 789"
