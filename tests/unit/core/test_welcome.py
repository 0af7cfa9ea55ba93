"""The engine's start-up ends with where to go: console, number, open or closed and why, and on
a fresh install how to create the first user."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

from centralino.core.auth.service import add_user
from centralino.core.welcome import console_url, log_welcome, welcome_lines, why_open_or_closed
from config.settings import Settings

OPEN_BY_CLOCK = {"state": "open", "reason": None, "override": None, "clock_state": "open"}


def test_a_fresh_install_is_told_how_to_create_the_first_user() -> None:
    assert welcome_lines("http://pbx:8080/console", "800100100", "open", "office hours", 0) == [
        "operator console: http://pbx:8080/console",
        "number to call: 800100100",
        "the center is open now (office hours)",
        "no user yet: create the first with `centralino users add NAME --role admin` "
        "(it prints the password once)",
    ]


def test_with_users_there_is_no_advice_and_a_holiday_is_closed() -> None:
    lines = welcome_lines("http://pbx:8080/console", "800100100", "holiday", "Natale", 3)
    assert lines[2:] == ["the center is closed now (Natale)"]
    assert welcome_lines("u", "1", "open", "office hours", None)[3:] == []  # count unknown


def test_why_names_the_override_first_then_the_holiday_then_the_hours() -> None:
    override = {"mode": "closed", "reason": "staff meeting", "set_by": "anna",
                "set_at": "2026-03-02T08:00:00+00:00"}
    assert why_open_or_closed({**OPEN_BY_CLOCK, "state": "closed", "reason": "staff meeting",
                               "override": override}) == "override by anna: staff meeting"
    assert why_open_or_closed({**OPEN_BY_CLOCK, "override": {**override, "mode": "open",
                                                              "reason": None}}) == (
        "override by anna")
    assert why_open_or_closed({**OPEN_BY_CLOCK, "state": "holiday", "reason": "Natale"}) == (
        "Natale")
    assert why_open_or_closed(OPEN_BY_CLOCK) == "office hours"


def test_the_console_url_names_a_reachable_host() -> None:
    assert console_url("0.0.0.0", 8080, hostname="pbx") == "http://pbx:8080/console"
    assert console_url("127.0.0.1", 8080) == "http://127.0.0.1:8080/console"
    assert console_url("::1", 8443) == "http://[::1]:8443/console"


async def test_one_log_line_carries_the_text_and_the_facts(
    db_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    settings = Settings.model_validate({"version": 1, "web": {"host": "127.0.0.1", "port": 8080},
                                        "toll_free": {"number": "800555000"}})
    with capture_logs() as logs:
        lines = await log_welcome(settings, OPEN_BY_CLOCK, db_session_factory)
    assert [entry["event"] for entry in logs] == ["engine.ready"]
    entry = logs[0]
    assert entry["text"] == "; ".join(lines)
    assert (entry["console"], entry["number"], entry["center"], entry["why"], entry["users"]) == (
        "http://127.0.0.1:8080/console", "800555000", "open", "office hours", 0)
    assert entry["first_user"] == "centralino users add NAME --role admin"

    async with db_session_factory() as session:
        await add_user(session, "anna", "admin")
    with capture_logs() as logs:
        await log_welcome(settings, OPEN_BY_CLOCK, db_session_factory)
    assert logs[0]["users"] == 1 and "first_user" not in logs[0]
