"""The post-call surveys' table: one row per call, written again (not twice) when a survey is
run over after an engine restart; and the results per item over a period, for the reports.

Same convention as the other stores: each function takes an :class:`AsyncSession` and commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, cast, func, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from outbound.models import CallSurvey

SCORES = range(1, 6)  # an answer is a key from 1 to 5


@dataclass(frozen=True, slots=True)
class SurveyRecord:
    """One call's post-call survey as the script ends it."""

    linkedid: str
    answers: dict[str, int]  # item -> 1..5
    keys: str
    started_at: datetime
    ended_at: datetime
    completed: bool  # every item of the script answered


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The answers to one survey item over a period."""

    item: str
    answers: int
    average: float
    counts: dict[int, int]  # score -> how many gave it, every score 1..5


async def save_survey(session: AsyncSession, record: SurveyRecord) -> None:
    """Store ``record``; a survey of the same call (its linkedid) stored before is replaced."""
    values = {"linkedid": record.linkedid, "answers": record.answers, "keys": record.keys,
              "started_at": record.started_at, "ended_at": record.ended_at,
              "completed": record.completed}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(CallSurvey).values(values)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[CallSurvey.linkedid],
        set_={key: statement.excluded[key] for key in values if key != "linkedid"}))
    await session.commit()


async def survey_of_call(session: AsyncSession, linkedid: str) -> CallSurvey | None:
    """The post-call survey of call ``linkedid``, if its caller was sent to one."""
    return await session.scalar(select(CallSurvey).where(CallSurvey.linkedid == linkedid))


async def survey_results(session: AsyncSession, *, since: datetime,
                         until: datetime) -> list[ItemResult]:
    """Per item, the answers of the surveys started in [``since``, ``until``), by item name:
    an aggregate in the database over the answers' JSON (``json_each``)."""
    dialect = session.get_bind().dialect.name
    each_answer = func.json_each_text if dialect == "postgresql" else func.json_each
    answer = each_answer(CallSurvey.answers).table_valued("key", "value").alias("answer")
    score = cast(answer.c.value, Integer)
    rows = await session.execute(
        select(answer.c.key, score, func.count())
        .select_from(CallSurvey).join(answer, true())
        .where(CallSurvey.started_at >= since, CallSurvey.started_at < until)
        .group_by(answer.c.key, score))
    counts: dict[str, dict[int, int]] = {}
    for item, given, count in rows:
        counts.setdefault(item, dict.fromkeys(SCORES, 0))[int(given)] = count
    return [_result(item, scores) for item, scores in sorted(counts.items())]


def _result(item: str, counts: dict[int, int]) -> ItemResult:
    answers = sum(counts.values())
    total = sum(score * count for score, count in counts.items())
    return ItemResult(item, answers, round(total / answers, 2) if answers else 0.0, counts)
