"""Campaign contact lists from CSV or XLSX, checked as a whole before anything is stored.

A list has a header row naming its columns: ``phone`` (required; any way people write a number,
made E.164 with phonenumbers, default region IT), ``ticket`` (a tracking code) and ``language``
(optional), and any other column, a variable for the call script. All or nothing: one bad row
refuses the file, and every problem is reported with its line, column and what is wrong. A
number listed twice is one contact (the first row's), counted as merged.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from centralino.core.dialing import e164_number
from cti.tickets.tracking import is_valid_tracking_code

MAX_BYTES = 50 * 1024 * 1024  # a list larger than this is refused unread
MAX_ROWS = 1_000_000
MAX_VALUE = 500  # characters in one cell
RESERVED = ("phone", "ticket", "language")
REGION = "IT"  # the country of numbers written without a country code
PROGRESS_ROWS = 10_000  # rows between two reports of a long read


@dataclass(frozen=True, slots=True)
class ListProblem:
    """One thing wrong with a list, where a person can find it."""

    line: int  # 1 is the header row
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class ListRefused(Exception):
    """The list was not taken; :attr:`problems` says why, all of it."""

    def __init__(self, problems: Sequence[ListProblem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class ListContact:
    """One person to call, as the list gives them."""

    phone: str  # E.164
    line: int
    ticket: str | None = None
    language: str | None = None
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ContactList:
    contacts: list[ListContact]
    merged: int  # rows whose number an earlier row had


def read_contact_list(path: Path, *, languages: Collection[str], region: str = REGION,
                      max_problems: int = 100) -> ContactList:
    """The contacts of the CSV or XLSX file ``path`` (by its suffix).

    ``languages`` are the ones the campaign's script speaks. Raises :class:`ListRefused` with
    every problem found (at most ``max_problems``, then one line saying there are more).
    """
    return _check(list_rows(path), languages, region, max_problems)


def list_rows(path: Path) -> Iterator[list[str]]:
    """The rows of the CSV or XLSX file ``path`` (by its suffix), header first, as text.

    Raises :class:`ListRefused` for a file too large, not UTF-8 or not a readable XLSX.
    """
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ListRefused([ListProblem(1, "-", f"the file has {size} bytes; at most "
                                               f"{MAX_BYTES} are read")])
    return _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _csv_rows(path)


def _csv_rows(path: Path) -> Iterator[list[str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ListRefused([ListProblem(1, "-", f"not UTF-8 (byte {exc.start}): save the list "
                                               "as CSV UTF-8")]) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","  # Excel's Italian CSV: ';'
    yield from csv.reader(io.StringIO(text), delimiter=delimiter)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook  # only lists in XLSX need it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ListRefused([ListProblem(1, "-", f"not a readable XLSX file: {exc}")]) from None
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(value) for value in row]
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number typed into a cell: 3331234567.0
    return str(value)


def _check(rows: Iterator[list[str]], languages: Collection[str], region: str,
           max_problems: int) -> ContactList:
    header = [name.strip().lower() for name in next(rows, [])]
    if "phone" not in header:
        raise ListRefused([ListProblem(1, "phone", "no 'phone' column in the header row "
                                                   f"(found: {', '.join(header) or 'nothing'})")])
    problems: list[ListProblem] = []
    seen: dict[str, int] = {}
    contacts: list[ListContact] = []
    merged = 0
    for line, row in enumerate(rows, start=2):
        if line - 1 > MAX_ROWS:
            problems.append(ListProblem(line, "-", f"more than {MAX_ROWS} rows"))
            break
        if not any(cell.strip() for cell in row):
            continue  # an empty row
        cells = dict(zip(header, (cell.strip() for cell in row), strict=False))
        found = [ListProblem(line, name, f"longer than {MAX_VALUE} characters")
                 for name, value in cells.items() if len(value) > MAX_VALUE]
        phone = e164_number(cells.get("phone", ""), region)
        if phone is None:
            found.append(ListProblem(line, "phone", "not a phone number: "
                                                    f"{cells.get('phone', '')[:40]!r}"))
        ticket = cells.get("ticket") or None
        if ticket is not None and not is_valid_tracking_code(ticket):
            found.append(ListProblem(line, "ticket", f"not a tracking code: {ticket[:40]!r}"))
        language = (cells.get("language") or "").lower() or None
        if language is not None and language not in languages:
            found.append(ListProblem(line, "language", f"{language[:20]!r} is not one of the "
                                                       f"script's ({', '.join(languages)})"))
        problems += found
        if len(problems) >= max_problems:
            problems = problems[:max_problems]
            problems.append(ListProblem(line, "-", "more problems not listed: mend these first"))
            break
        if found or phone is None:
            continue
        if phone in seen:
            merged += 1
            continue
        seen[phone] = line
        contacts.append(ListContact(phone, line, ticket, language, {
            name: value for name, value in cells.items() if name not in RESERVED and name}))
    if problems:
        raise ListRefused(problems)
    return ContactList(contacts, merged)



@dataclass(frozen=True, slots=True)
class NumberList:
    phones: list[str]  # E.164, each once
    merged: int  # rows whose number an earlier row had


def read_number_list(path: Path, *, region: str = REGION, max_problems: int = 100,
                     progress: Callable[[int], None] | None = None) -> NumberList:
    """The numbers of the ``phone`` column of the CSV or XLSX file ``path`` (a do-not-call
    list, the opt-out register's extract; other columns are ignored), all or nothing like
    :func:`read_contact_list`. ``progress`` is told the rows read so far, every
    :data:`PROGRESS_ROWS` rows and at the end."""
    rows = list_rows(path)
    header = [name.strip().lower() for name in next(rows, [])]
    if "phone" not in header:
        raise ListRefused([ListProblem(1, "phone", "no 'phone' column in the header row "
                                                   f"(found: {', '.join(header) or 'nothing'})")])
    column = header.index("phone")
    problems: list[ListProblem] = []
    phones: dict[str, None] = {}
    merged = line = 0
    for line, row in enumerate(rows, start=2):
        if progress is not None and line % PROGRESS_ROWS == 0:
            progress(line - 1)
        text = row[column].strip() if column < len(row) else ""
        if not text and not any(cell.strip() for cell in row):
            continue  # an empty row
        phone = e164_number(text, region)
        if phone is None:
            problems.append(ListProblem(line, "phone", f"not a phone number: {text[:40]!r}"))
            if len(problems) >= max_problems:
                problems.append(ListProblem(line, "-", "more problems not listed: mend these "
                                                       "first"))
                break
        elif phone in phones:
            merged += 1
        else:
            phones[phone] = None
    if problems:
        raise ListRefused(problems)
    if progress is not None:
        progress(max(line - 1, 0))
    return NumberList(list(phones), merged)
