"""The post-call survey: the dialplan that sends a caller to it only when the operator hung up,
the script run over a scripted caller, and its answers stored once per call and aggregated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.call_session import CallSession
from centralino.core.sandbox.render import render_asterisk_config
from config.secrets import Secrets
from config.settings import Settings
from outbound.runner import ScriptPlan, load_script_plan
from outbound.survey import SurveyScript, survey_items
from outbound.survey_store import (
    ItemResult,
    SurveyRecord,
    save_survey,
    survey_of_call,
    survey_results,
)
from tests.unit.outbound.test_runner import Contact, Services, Store

Sessions = async_sessionmaker[AsyncSession]
T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
ITEMS = {"waiting_time", "accuracy", "ability", "courtesy"}


def _rendered(acd: dict[str, Any]) -> dict[str, str]:
    settings = Settings.model_validate({"version": 1, "acd": acd})
    secrets = Secrets("ami", "ari", {name: "pw" for name in settings.seats.names}, "pin",
                      "session")
    return render_asterisk_config(settings, secrets)


def _queue_context(dialplan: str) -> str:
    start = dialplan.index("[acd-queue]")
    return dialplan[start:dialplan.index("\n\n", start)]


@pytest.mark.parametrize("record_calls", [False, True])
def test_with_the_survey_on_the_caller_continues_after_the_operator_hangs_up(
        record_calls: bool) -> None:
    queue = _queue_context(_rendered({"post_call_survey": "survey",
                                      "record_calls": record_calls})["extensions.conf"])
    assert "},c,,," in queue  # Queue()'s option c: go on when the callee hangs up
    assert ('GotoIf($["${QUEUESTATUS}" = "CONTINUE" & "${CHANNEL(hangupsource)}" != '
            '"${CHANNEL(name)}"]?survey)') in queue
    assert "same => n(survey),Stasis(centralino,survey,${CHANNEL(linkedid)})" in queue
    # the overflow statuses are checked before, and lead elsewhere
    assert queue.index("?overflow)") < queue.index("?survey)")


def test_without_the_survey_the_call_ends_with_the_operator() -> None:
    queue = _queue_context(_rendered({})["extensions.conf"])
    assert "},,,," in queue and "survey" not in queue


def test_ami_events_carry_the_campaign_variables() -> None:
    manager = _rendered({})["manager.conf"]
    assert "\nchannelvars = CENTRALINO_CAMPAIGN,CENTRALINO_TICKET\n" in manager


@pytest.fixture(scope="module")
def plan() -> ScriptPlan:
    return load_script_plan("survey", Store())


def test_the_shipped_survey_asks_the_four_items(plan: ScriptPlan) -> None:
    assert survey_items(plan) == ITEMS


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=30)
        return self.now


async def _survey(sessions: Sessions, plan: ScriptPlan, *replies: str,
                  linkedid: str = "1732.1") -> Contact:
    channel = Contact(*replies, language="en")
    channel.linkedid = linkedid  # type: ignore[misc]
    channel.caller_number = "3331234567"  # type: ignore[attr-defined]
    await SurveyScript(lambda: plan, Services(), sessions, Clock())(cast(CallSession, channel))
    return channel


async def test_the_answers_of_a_finished_survey_are_stored_for_the_call(
        db_session_factory: Sessions, plan: ScriptPlan) -> None:
    channel = await _survey(db_session_factory, plan, "1", "4", "7", "5", "3", "2")
    async with db_session_factory() as session:
        survey = await survey_of_call(session, "1732.1")
    assert survey is not None
    assert survey.answers == {"waiting_time": 4, "accuracy": 5, "ability": 3, "courtesy": 2}
    assert survey.keys == "147532" and survey.completed
    assert survey.ended_at > survey.started_at
    assert channel.hangups == 1


async def test_a_caller_who_hangs_up_midway_leaves_an_unfinished_survey(
        db_session_factory: Sessions, plan: ScriptPlan) -> None:
    await _survey(db_session_factory, plan, "1", "4")
    async with db_session_factory() as session:
        survey = await survey_of_call(session, "1732.1")
    assert survey is not None and survey.answers == {"waiting_time": 4}
    assert not survey.completed


def _record(linkedid: str, answers: dict[str, int], minutes: int = 0) -> SurveyRecord:
    at = T0 + timedelta(minutes=minutes)
    return SurveyRecord(linkedid, answers, "".join(map(str, answers.values())), at,
                        at + timedelta(minutes=1), set(answers) == ITEMS)


async def test_a_survey_run_again_for_the_same_call_replaces_the_first(
        db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        await save_survey(session, _record("call-1", {"courtesy": 2}))
        await save_survey(session, _record("call-1", {"courtesy": 5, "accuracy": 4}))
        survey = await survey_of_call(session, "call-1")
        results = await survey_results(session, since=T0, until=T0 + timedelta(days=1))
    assert survey is not None and survey.answers == {"courtesy": 5, "accuracy": 4}
    assert [(r.item, r.answers) for r in results] == [("accuracy", 1), ("courtesy", 1)]


async def test_results_per_item_count_the_scores_of_the_period(
        db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        await save_survey(session, _record("a", {"courtesy": 5, "accuracy": 3}))
        await save_survey(session, _record("b", {"courtesy": 4}, minutes=30))
        await save_survey(session, _record("c", {"courtesy": 5}, minutes=59))
        await save_survey(session, _record("late", {"courtesy": 1}, minutes=60))
        await save_survey(session, _record("early", {"accuracy": 1}, minutes=-1))
        results = await survey_results(session, since=T0, until=T0 + timedelta(hours=1))
    assert results == [
        ItemResult("accuracy", 1, 3.0, {1: 0, 2: 0, 3: 1, 4: 0, 5: 0}),
        ItemResult("courtesy", 3, 4.67, {1: 0, 2: 0, 3: 0, 4: 1, 5: 2}),
    ]
