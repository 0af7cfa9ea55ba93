"""A campaign's results per contact as CSV or XLSX: one row per contact, its last attempt's
details beside the totals (the JSON results keep every attempt).

XLSX is written with XlsxWriter in constant-memory mode, every cell as text or a number, never
a formula (a list's values come from outside).
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import IO, Any

COLUMNS = ("phone", "ticket", "language", "status", "outcome", "stage", "attempts",
           "last_started_at", "last_disposition", "last_amd", "last_keys", "last_outcome",
           "survey")


def flat_row(result: dict[str, Any]) -> list[str | int]:
    """One contact's result (:func:`outbound.progress.campaign_results`) as the columns."""
    attempts = result["attempts"]
    last = attempts[-1] if attempts else {}
    survey: dict[str, int] = next(
        (a["survey"] for a in reversed(attempts) if a.get("survey")), {})
    return [result["phone"], result["ticket"] or "", result["language"] or "",
            result["status"], result["outcome"] or "", result["stage"], len(attempts),
            last.get("started_at") or "", last.get("disposition") or "",
            last.get("amd") or "", last.get("keys") or "", last.get("outcome") or "",
            "; ".join(f"{item}={value}" for item, value in sorted(survey.items()))]


async def csv_chunks(pages: AsyncIterable[list[dict[str, Any]]]) -> AsyncIterator[str]:
    """The results of ``pages`` as CSV text: the header, then a chunk per page."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    async for page in pages:
        writer.writerows(flat_row(result) for result in page)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():  # no contacts: the header alone
        yield buffer.getvalue()


async def write_csv(pages: AsyncIterable[list[dict[str, Any]]], out: IO[str]) -> None:
    """Write the header and every result of ``pages`` to ``out``."""
    async for chunk in csv_chunks(pages):
        out.write(chunk)


async def write_xlsx(pages: AsyncIterable[list[dict[str, Any]]], path: Path,
                     title: str) -> int:
    """Write the results of ``pages`` to the workbook ``path`` (one sheet named after the
    campaign); returns the contacts. Each page is written, and the file compressed, in a
    thread: a large export does not hold up the event loop."""
    import xlsxwriter  # only the exports need it

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True,
                                           "strings_to_formulas": False,
                                           "strings_to_urls": False})
    sheet = book.add_worksheet(_sheet_name(title))
    sheet.write_row(0, 0, COLUMNS, book.add_format({"bold": True}))
    sheet.freeze_panes(1, 0)

    def write(first_row: int, page: list[dict[str, Any]]) -> None:
        for row, result in enumerate(page, start=first_row):
            for column, value in enumerate(flat_row(result)):
                if isinstance(value, int):
                    sheet.write_number(row, column, value)
                else:
                    sheet.write_string(row, column, value)

    count = 0
    try:
        async for page in pages:
            await asyncio.to_thread(write, count + 1, page)
            count += len(page)
    finally:
        await asyncio.to_thread(book.close)
    return count


def _sheet_name(title: str) -> str:
    """An Excel sheet name: at most 31 characters, none of ``[]:*?/\\``."""
    name = "".join(" " if c in "[]:*?/\\" else c for c in title).strip()[:31]
    return name or "results"
