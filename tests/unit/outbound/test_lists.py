"""Campaign contact lists: CSV (comma or semicolon) and XLSX, all or nothing, every problem
with its line and column, duplicates merged."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from cti.tickets.tracking import new_tracking_code
from outbound.lists import ListContact, ListRefused, read_contact_list

LANGUAGES = ("it", "en")


def csv_file(tmp_path: Path, text: str, name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_list_gives_e164_numbers_tickets_languages_and_variables(tmp_path: Path) -> None:
    code = new_tracking_code()
    path = csv_file(tmp_path, "phone,ticket,language,amount,due_date\n"
                              f"333 123 4567,{code},EN,120.50,2026-12-31\n"
                              "+39 06 1234 5678,,,80,2027-01-15\n")

    listed = read_contact_list(path, languages=LANGUAGES)

    assert listed.merged == 0
    assert listed.contacts == [
        ListContact("+393331234567", 2, code, "en", {"amount": "120.50",
                                                     "due_date": "2026-12-31"}),
        ListContact("+390612345678", 3, None, None, {"amount": "80", "due_date": "2027-01-15"}),
    ]


def test_excel_s_italian_csv_with_semicolons_and_a_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "lista.csv"
    path.write_bytes("\ufeffphone;nome\n3331234567;Anna Rossi\n".encode())

    [contact] = read_contact_list(path, languages=LANGUAGES).contacts

    assert (contact.phone, contact.variables) == ("+393331234567", {"nome": "Anna Rossi"})


def test_a_number_listed_twice_is_one_contact_counted_as_merged(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "phone,name\n3331234567,first\n+39 333 123 4567,second\n\n")

    listed = read_contact_list(path, languages=LANGUAGES)

    assert [c.variables["name"] for c in listed.contacts] == ["first"]
    assert listed.merged == 1


def test_one_bad_row_refuses_the_whole_list_naming_every_problem(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "phone,ticket,language\n"
                              "3331234567,,it\n"
                              "not a number,,\n"
                              "3339876543,12345,fr\n")

    with pytest.raises(ListRefused) as refused:
        read_contact_list(path, languages=LANGUAGES)

    assert [str(problem) for problem in refused.value.problems] == [
        "line 3, column phone: not a phone number: 'not a number'",
        "line 4, column ticket: not a tracking code: '12345'",
        "line 4, column language: 'fr' is not one of the script's (it, en)",
    ]


def test_a_list_without_a_phone_column_is_refused_at_its_header(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "number,name\n3331234567,Anna\n")

    with pytest.raises(ListRefused, match="line 1, column phone: no 'phone' column"):
        read_contact_list(path, languages=LANGUAGES)


def test_a_list_that_is_not_utf8_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(b"phone,name\n3331234567,Jos\xe9\n")

    with pytest.raises(ListRefused, match=r"not UTF-8 .*save the list as CSV UTF-8"):
        read_contact_list(path, languages=LANGUAGES)


def test_problems_are_listed_up_to_a_limit_then_summed_up(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "phone\n" + "x\n" * 20)

    with pytest.raises(ListRefused) as refused:
        read_contact_list(path, languages=LANGUAGES, max_problems=5)

    assert len(refused.value.problems) == 6
    assert refused.value.problems[-1].message.startswith("more problems not listed")


def test_an_xlsx_list_is_read_with_numbers_typed_as_numbers(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Phone", "Amount"])
    sheet.append([3331234567, 42.5])
    sheet.append([None, None])
    sheet.append(["06 1234 5678", 10])
    path = tmp_path / "list.xlsx"
    book.save(path)

    listed = read_contact_list(path, languages=LANGUAGES)

    assert [(c.phone, c.line, c.variables) for c in listed.contacts] == [
        ("+393331234567", 2, {"amount": "42.5"}), ("+390612345678", 4, {"amount": "10"})]


def test_a_file_that_is_not_xlsx_is_refused_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    path.write_bytes(b"phone\n3331234567\n")

    with pytest.raises(ListRefused, match="line 1, column -: not a readable XLSX file"):
        read_contact_list(path, languages=LANGUAGES)
