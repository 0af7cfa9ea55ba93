"""The supervisor's live view: who may see it, the live picture (seats, waiting callers, today's
counts and service level), its event stream, and today's calls by hour as an SVG chart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from acd.state import SeatState, WaitingCaller
from centralino.core import events
from centralino.core.bus import EventBus
from centralino.core.calls.service import record_call_started
from centralino.core.calls.terms import CallOrigin
from centralino.core.db import create_engine, run_write, session_factory, upgrade_database
from cti.supervisor.call_stats import HourCount, calls_by_hour, day_hours
from cti.supervisor.hourly_chart import hourly_chart
from cti.supervisor.http import LiveBoard
from cti.supervisor.queue_stats import QueueDayStats
from cti.tickets.store import IvrTrace
from tests.unit.cti.site import T0, FakeAcd, Sessions, Site, add_call, first_sse_event, make_site

ROME = ZoneInfo("Europe/Rome")


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    await upgrade_database(url)
    engine = create_engine(url)
    try:
        yield await make_site(session_factory(engine))
    finally:
        await engine.dispose()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def answered(hold: int, at: datetime = T0) -> events.QueueCallAnswered:
    return events.QueueCallAnswered(f"call-{hold}", "operators", "seat1", "alice", hold, at)


def abandoned(at: datetime = T0) -> events.QueueCallAbandoned:
    return events.QueueCallAbandoned("gone", "operators", 1, 30, at)


# -- today's counts ---------------------------------------------------------------------------


def test_the_service_level_counts_calls_answered_within_the_threshold_of_all_offered() -> None:
    bus, clock = EventBus(), Clock(T0)
    stats = QueueDayStats(bus, lambda: "Europe/Rome", threshold_seconds=20, clock=clock)
    assert stats.today().service_level is None
    for hold in (5, 20, 21):
        bus.publish(answered(hold))
    bus.publish(abandoned())

    today = stats.today()
    assert (today.answered, today.abandoned, today.answered_within) == (3, 1, 2)
    assert today.service_level == 0.5
    assert today.since == T0 and today.day == date(2026, 3, 2)


def test_the_counts_start_again_at_local_midnight() -> None:
    bus, clock = EventBus(), Clock(datetime(2026, 3, 2, 22, 50, tzinfo=UTC))  # 23:50 in Rome
    stats = QueueDayStats(bus, lambda: "Europe/Rome", clock=clock)
    bus.publish(answered(3, clock.now))
    clock.now += timedelta(minutes=15)  # 00:05 in Rome

    today = stats.today()
    assert (today.day, today.answered) == (date(2026, 3, 3), 0)
    assert today.since == datetime(2026, 3, 3, tzinfo=ROME)


# -- the live picture -------------------------------------------------------------------------


def board_with_callers() -> tuple[LiveBoard, EventBus, FakeAcd]:
    bus, acd = EventBus(), FakeAcd()
    acd.place("seat1", "alice", SeatState.IN_CALL, since=T0 - timedelta(seconds=75))
    acd.place("seat2", "bob", SeatState.PAUSED, "break", T0 - timedelta(minutes=5))
    acd.callers = [
        WaitingCaller("c1", "u1", "PJSIP/trunk-1", "3391234567", 1, T0 - timedelta(seconds=95)),
        WaitingCaller("c2", "u2", "PJSIP/trunk-2", None, 2, T0 - timedelta(seconds=10))]
    stats = QueueDayStats(bus, lambda: "Europe/Rome", clock=Clock(T0))
    return LiveBoard(acd, stats, bus, clock=Clock(T0)), bus, acd


def test_the_live_picture_has_seats_waiting_callers_and_todays_counts() -> None:
    board, bus, _ = board_with_callers()
    bus.publish(answered(12))

    snapshot = board.snapshot()

    assert snapshot["now"] == T0.isoformat()
    assert [(s["name"], s["operator"], s["state_label"], s["reason_label"])
            for s in snapshot["seats"]] == [("seat1", "alice", "In chiamata", None),
                                            ("seat2", "bob", "In pausa", "Pausa"),
                                            ("seat3", None, "Fuori servizio", None)]
    assert snapshot["waiting"] == [
        {"caller_id": "3391234567", "position": 1,
         "joined_at": (T0 - timedelta(seconds=95)).isoformat()},
        {"caller_id": None, "position": 2, "joined_at": (T0 - timedelta(seconds=10)).isoformat()}]
    assert snapshot["longest_wait_seconds"] == 95
    assert snapshot["today"]["answered"] == 1 and snapshot["today"]["service_level"] == 1.0


async def test_the_stream_sends_at_once_when_the_acd_changes() -> None:
    board, bus, acd = board_with_callers()
    stream = board.stream(tick=30)
    first = await anext(stream)
    assert first.startswith("data: {") and first.endswith("\n\n")

    acd.callers = []
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # nothing new, and the tick is far
    bus.publish(events.CallerLeftQueue("c1", "operators", T0))

    update = await asyncio.wait_for(waiting, 1)
    assert '"waiting": []' in update

    ending = asyncio.ensure_future(anext(stream))
    board.close()  # the engine stops: the web server waits for open streams
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(ending, 1)


# -- the page and its feeds -------------------------------------------------------------------


async def test_the_live_view_is_for_supervisors(site: Site) -> None:
    async with site.signed_in("alice") as alice:
        for path in ("/supervisor", "/supervisor/live", "/supervisor/events",
                     "/supervisor/chart"):
            assert (await alice.get(path)).status_code == 403, path
    async with site.client() as anonymous:
        assert (await anonymous.get("/supervisor/live")).status_code == 401


async def test_a_supervisor_sees_the_page_with_the_chart_and_the_live_feeds(site: Site) -> None:
    await add_call(site.sessions, "now-1", "3391234567", datetime.now(UTC),
                   IvrTrace("1", [], "queued", None, "it", None))
    site.acd.place("seat1", "alice", SeatState.READY, since=T0)
    async with site.signed_in("sara") as sara:
        page = await sara.get("/supervisor")
        live = await sara.get("/supervisor/live")
        chart = await sara.get("/supervisor/chart")
        streamed = await first_sse_event(site.app, sara.cookies, "/supervisor/events")

    assert page.status_code == 200 and "Sala operativa" in page.text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text
    assert "1 chiamate oggi, di cui 1 passate agli operatori" in page.text
    assert "script-src 'nonce-" in page.headers["content-security-policy"]
    assert live.json()["seats"][0]["operator"] == "alice"
    assert chart.text.lstrip().startswith("<svg") and "current" in chart.text
    assert streamed["seats"] == live.json()["seats"]


# -- calls by hour ----------------------------------------------------------------------------


async def test_calls_are_counted_by_local_hour_in_the_database(
    db_session_factory: Sessions,
) -> None:
    rome_9 = datetime(2026, 3, 2, 9, 0, tzinfo=ROME)
    for n, minutes in enumerate((1, 59, 60, 61, -1)):
        outcome = "queued" if n < 2 else "voicemail"
        await add_call(db_session_factory, f"c{n}", None, rome_9 + timedelta(minutes=minutes),
                       IvrTrace("", [], outcome, None, "it", None))
    await add_call(db_session_factory, "yesterday", None, rome_9 - timedelta(days=1))
    async with db_session_factory() as session:  # a call the engine placed: not a caller's
        await run_write(session, record_call_started, "campaign-1", channel="Local/x;1",
                        did="s", at=rome_9, origin=CallOrigin.CAMPAIGN)

    async with db_session_factory() as session:
        hours = await calls_by_hour(session, date(2026, 3, 2), ROME)

    assert len(hours) == 24 and hours[0].start == datetime(2026, 3, 2, tzinfo=ROME)
    assert [(h.start.hour, h.calls, h.queued) for h in hours if h.calls] == [
        (8, 1, 0), (9, 2, 2), (10, 2, 0)]


def test_a_day_with_a_clock_change_has_its_own_number_of_hours() -> None:
    assert len(day_hours(date(2026, 3, 29), ROME)) == 24  # 23 hours: spring forward
    assert len(day_hours(date(2026, 10, 25), ROME)) == 26  # 25 hours: fall back
    assert len(day_hours(date(2026, 3, 2), ROME)) == 25


def test_the_chart_scales_to_the_busiest_hour_and_marks_the_current_one() -> None:
    start = datetime(2026, 3, 2, tzinfo=ROME)
    hours = [HourCount(start + timedelta(hours=h), calls=h if h < 12 else 0,
                       queued=h // 2 if h < 12 else 0) for h in range(24)]

    chart = hourly_chart(hours, now=start + timedelta(hours=9, minutes=30))

    tallest = max(chart.bars, key=lambda bar: bar.calls_height)
    assert tallest is chart.bars[11]
    assert [bar.current for bar in chart.bars].index(True) == 9
    assert chart.bars[9].title == "09:00-10:00: 9 chiamate, 4 in coda"
    assert chart.bars[9].queued_height < chart.bars[9].calls_height
    assert [line.value for line in chart.gridlines] == [0, 5, 10, 15, 20]  # top: 20 for 11
    assert (chart.total_calls, chart.total_queued) == (66, 30)
