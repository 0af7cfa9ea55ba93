"""AMI values out of range (epochs, timestamps, durations, huge numbers) are malformed events:
dropped, logged and counted, and a QueueStatus resync survives them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from panoramisk.message import Message
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from acd.ami_events import Member, parse_event
from acd.state import AcdPicture, SeatState
from acd.sync import follow_asterisk
from centralino.core.ami import MalformedEvent
from centralino.core.bus import EventBus
from centralino.core.dialing import parse_report
from config.settings import AcdSettings
from cti.callbacks.dialer import LEGS, RESULT_EVENT
from tests.unit.acd.acd_replay import Clock, Timers, recorded, timestamp

SEATS = ["seat1", "seat2", "seat3", "seat4"]
HUGE = "9" * 5000

# (field, value): each makes the recorded message out of range
OUT_OF_RANGE = [
    ("Timestamp", "1e400"),  # inf
    ("Timestamp", "nan"),
    ("Timestamp", "99999999999999"),  # year 3170
    ("Timestamp", HUGE),
    ("LoginTime", "253402300800"),  # year 10000: datetime cannot hold it
    ("LoginTime", "9223372036854775807"),
    ("LoginTime", HUGE),
    ("LastPause", "-5"),  # before 1970
    ("Wrapuptime", "9223372036854775807"),  # would overflow a timedelta
    ("Wrapuptime", "-1"),
    ("Status", HUGE),
]


def malformed_count(event: str) -> float:
    return REGISTRY.get_sample_value("centralino_ami_malformed_events_total",
                                     {"event": event}) or 0.0


def member_added() -> Message:
    return next(m for m in recorded("operator_shift.txt") if m.get("Event") == "QueueMemberAdded")


@pytest.mark.parametrize(("field", "value"), OUT_OF_RANGE)
def test_an_out_of_range_value_makes_the_event_malformed(field: str, value: str) -> None:
    message = Message({**member_added(), field: value})

    with pytest.raises(MalformedEvent):
        parse_event(message)


@pytest.mark.parametrize(("field", "value"), OUT_OF_RANGE)
def test_the_picture_drops_logs_and_counts_an_out_of_range_event(field: str, value: str) -> None:
    message = member_added()
    picture = AcdPicture(AcdSettings(), SEATS, EventBus(), clock=Clock(timestamp(message)),
                         timer=Timers())
    before = malformed_count("QueueMemberAdded")

    with capture_logs() as logs:
        picture.handle(Message({**message, field: value}))

    assert [entry["event"] for entry in logs] == ["acd.malformed_event"]
    assert malformed_count("QueueMemberAdded") == before + 1
    assert picture.seats()[0].state == SeatState.LOGGED_OUT
    picture.handle(message)  # the same event, in range, still works
    assert picture.seats()[0].state == SeatState.READY


@pytest.mark.parametrize("field", ["HoldTime", "Position", "OriginalPosition"])
def test_caller_events_with_huge_numbers_are_malformed(field: str) -> None:
    abandon = next(m for m in recorded("abandon.txt") if m.get("Event") == "QueueCallerAbandon")
    with pytest.raises(MalformedEvent):
        parse_event(Message({**abandon, field: HUGE}))


class QueueStatusAmi:
    """Answers QueueStatus with the recorded one, one member and one entry spoiled."""

    def __init__(self) -> None:
        messages = recorded("queue_status.txt")
        self.answers: dict[str, Any] = {
            "QueueStatus": [m for m in messages if m.get("ActionID") == "cap-12"],
            "DeviceStateList": [m for m in messages if m.get("ActionID") == "cap-4"],
        }
        spoiled = []
        for message in self.answers["QueueStatus"]:
            if message.get("Event") == "QueueEntry":
                message = Message({**message, "Wait": "99999999999999999"})
            spoiled.append(message)
        member = next(m for m in spoiled if m.get("Event") == "QueueMember")
        spoiled.insert(spoiled.index(member) + 1, Message(
            {**member, "Name": "mallory", "Location": "PJSIP/seat2", "LoginTime": HUGE}))
        self.answers["QueueStatus"] = spoiled
        self.hooks: list[Callable[[], Awaitable[None]]] = []

    def on_event(self, name: str, callback: Any) -> None:
        pass

    def add_login_hook(self, hook: Callable[[], Awaitable[None]]) -> None:
        self.hooks.append(hook)

    async def send_action(self, action: dict[str, str], timeout: float | None = None,
                          as_list: bool | None = None) -> Any:
        if action["Action"] == "Getvar":
            return {"Response": "Success", "Value": "1795581611.36"}
        return self.answers[action["Action"]]


async def test_a_resync_survives_out_of_range_values_in_queue_status() -> None:
    ami = QueueStatusAmi()
    picture = AcdPicture(AcdSettings(), SEATS, EventBus(),
                         clock=Clock(timestamp(recorded("abandon.txt")[0])), timer=Timers())
    follow_asterisk(ami, picture)  # type: ignore[arg-type]
    before = malformed_count("QueueMember") + malformed_count("QueueEntry")

    with capture_logs() as logs:
        await ami.hooks[0]()

    assert [e["event"] for e in logs].count("acd.malformed_queue_status") == 2
    assert "acd.resynced" in [e["event"] for e in logs]
    assert malformed_count("QueueMember") + malformed_count("QueueEntry") == before + 2
    seats = {seat.name: seat for seat in picture.seats()}
    assert (seats["seat1"].operator, seats["seat1"].state) == ("alice", SeatState.IN_CALL)
    assert seats["seat2"].operator is None  # mallory's member was dropped
    assert picture.waiting() == []  # the waiting caller's Wait was out of range


def test_members_in_range_still_parse() -> None:
    members = [parse_event(m) for m in recorded("queue_status_paused.txt")]
    assert any(isinstance(m, Member) and m.last_pause is not None for m in members)


@pytest.mark.parametrize("attempt", [HUGE, "99999999999999999999", "١٢"])
def test_a_callback_result_with_an_impossible_attempt_id_is_malformed(attempt: str) -> None:
    with pytest.raises(MalformedEvent):
        parse_report({"Event": "UserEvent", "UserEvent": "CallbackResult", "Attempt": attempt,
                      "Leg": "caller", "DialStatus": "ANSWER"}, RESULT_EVENT, LEGS)
