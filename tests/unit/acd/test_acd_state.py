"""The seat picture, fed with AMI events recorded from the sandbox (``acd_events/`` here)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from structlog.testing import capture_logs

from acd.ami_events import Member, QueueEntry, parse_event
from acd.queue_status import QueuedCaller, QueueSnapshot, read_snapshot
from acd.state import AcdPicture, SeatState, SeatView
from centralino.core import events
from centralino.core.bus import EventBus
from config.settings import AcdSettings
from tests.unit.acd.acd_replay import Clock, Published, Timers, recorded, timestamp

# What the recordings were made with (tests/integration/acd/conftest.py).
SETTINGS = AcdSettings(ring_timeout=3, wrapup_seconds=2, max_wait_seconds=20)
SEATS = ["seat1", "seat2", "seat3", "seat4"]
DOMAIN_EVENTS = (events.SeatChanged, events.CallerQueued, events.CallerLeftQueue,
                 events.AgentCalled, events.QueueCallAnswered, events.QueueCallAbandoned)


class Desk:
    """A picture with its bus, clock and timers, fed one recorded message at a time."""

    def __init__(self, recording: str) -> None:
        self.messages = recorded(recording)
        self.clock = Clock(timestamp(next(m for m in self.messages if "Timestamp" in m)))
        self.timers = Timers()
        bus = EventBus()
        self.published = Published(bus, *DOMAIN_EVENTS)
        self.picture = AcdPicture(SETTINGS, SEATS, bus, clock=self.clock, timer=self.timers)
        self.position = 0

    def play(self, until: str | None = None, **fields: str) -> None:
        """Feed messages up to and including the first ``until`` event with ``fields``."""
        while self.position < len(self.messages):
            message = self.messages[self.position]
            self.position += 1
            if "Timestamp" in message:
                self.clock.now = timestamp(message)
            self.picture.handle(message)
            if until is not None and message.get("Event") == until and all(
                    message.get(k) == v for k, v in fields.items()):
                return
        assert until is None, f"no {until} {fields} in the recording"

    def seat(self, name: str) -> SeatView:
        return next(seat for seat in self.picture.seats() if seat.name == name)


def test_an_operator_shift_login_pause_ready_logout() -> None:
    desk = Desk("operator_shift.txt")
    desk.play("ContactStatus", EndpointName="seat1")
    assert desk.seat("seat1") == SeatView("seat1", "PJSIP/seat1", True, None,
                                          SeatState.LOGGED_OUT, None, None)
    desk.play("QueueMemberAdded")
    login = desk.clock.now
    assert desk.seat("seat1") == SeatView("seat1", "PJSIP/seat1", True, "alice", SeatState.READY,
                                          None, login)
    desk.play("QueueMemberPause", Paused="1")
    paused = desk.seat("seat1")
    assert (paused.state, paused.reason, paused.since) == (SeatState.PAUSED, "training",
                                                           desk.clock.now)
    desk.play("QueueMemberPause", Paused="0")
    assert (desk.seat("seat1").state, desk.seat("seat1").reason) == (SeatState.READY, None)
    desk.play("ContactStatus", ContactStatus="Removed")
    assert (desk.seat("seat1").operator, desk.seat("seat1").registered) == ("alice", False)
    desk.play("QueueMemberRemoved")
    assert (desk.seat("seat1").state, desk.seat("seat1").operator) == (SeatState.LOGGED_OUT,
                                                                        None)
    desk.play()

    changes = [(c.seat, c.operator, c.state, c.reason, c.registered)
               for c in desk.published.of(events.SeatChanged)]
    assert changes == [
        ("seat1", None, "logged_out", None, True),
        ("seat1", "alice", "ready", None, True),
        ("seat1", "alice", "paused", "training", True),
        ("seat1", "alice", "ready", None, True),
        ("seat1", "alice", "ready", None, False),
        ("seat1", None, "logged_out", None, False),
    ]
    assert [s.name for s in desk.picture.seats()] == SEATS


def test_a_queued_caller_rings_a_seat_is_answered_and_the_seat_wraps_up() -> None:
    desk = Desk("longest_idle.txt")
    desk.play("QueueCallerJoin", CallerIDNum="3331000001")
    [waiting] = desk.picture.waiting()
    assert (waiting.linkedid, waiting.caller_id, waiting.position) == ("1795582509.0",
                                                                        "3331000001", 1)
    assert desk.published.of(events.CallerQueued) == [events.CallerQueued(
        "1795582509.0", "operators", "3331000001", 1, desk.clock.now)]

    desk.play("AgentCalled", CallerIDNum="3331000001")
    assert desk.published.of(events.AgentCalled) == [events.AgentCalled(
        "1795582509.0", "operators", "seat2", "bob", "3331000001", desk.clock.now)]
    desk.play("QueueMemberStatus", Status="6")
    assert desk.seat("seat2").state == SeatState.RINGING

    desk.play("AgentConnect", CallerIDNum="3331000001")
    assert desk.seat("seat2").state == SeatState.IN_CALL
    assert desk.picture.waiting() == []
    assert [(a.linkedid, a.seat, a.operator) for a in desk.published.of(
        events.QueueCallAnswered)] == [("1795582509.0", "seat2", "bob")]

    desk.play("AgentComplete")  # this one came without the caller's channel fields
    ended = desk.clock.now
    desk.play("QueueMemberStatus", MemberName="bob", Status="1")
    assert desk.seat("seat2") == SeatView("seat2", "PJSIP/seat2", True, "bob", SeatState.WRAP_UP,
                                          None, desk.clock.now)
    assert desk.seat("seat1").state == SeatState.PAUSED

    # app_queue says nothing when the wrap-up is over: the picture knows, and a timer tells
    [(delay, _)] = desk.timers.pending
    assert delay == pytest.approx(SETTINGS.wrapup_seconds, abs=0.01)
    desk.clock.now = ended + timedelta(seconds=SETTINGS.wrapup_seconds)
    assert desk.seat("seat2").state == SeatState.READY
    desk.timers.fire()
    last = desk.published.of(events.SeatChanged)[-1]
    assert (last.seat, last.state, last.since) == ("seat2", "ready", desk.clock.now)


def test_the_recorded_day_rang_the_seat_idle_longest_and_left_both_operators_logged_in() -> None:
    desk = Desk("longest_idle.txt")
    desk.play()
    assert [(p.caller_id, p.seat) for p in desk.published.of(events.AgentCalled)] == [
        ("3331000001", "seat2"), ("3331000002", "seat2"), ("3331000003", "seat1"),
        ("3331000004", "seat2")]
    assert desk.published.of(events.QueueCallAbandoned) == []
    assert len(desk.published.of(events.CallerLeftQueue)) == 4
    desk.clock.now += timedelta(seconds=SETTINGS.wrapup_seconds)
    seats = {s.name: (s.operator, s.state, s.registered) for s in desk.picture.seats()}
    assert seats == {"seat1": ("alice", SeatState.READY, False),
                     "seat2": ("bob", SeatState.READY, False),
                     "seat3": (None, SeatState.LOGGED_OUT, False),
                     "seat4": (None, SeatState.LOGGED_OUT, False)}


def test_a_seat_that_does_not_answer_rings_again_and_the_timed_out_caller_is_not_abandoned(
) -> None:
    desk = Desk("no_answer.txt")
    desk.play("AgentRingNoAnswer")
    desk.play("QueueMemberStatus", Status="1")
    assert desk.seat("seat1").state == SeatState.READY
    assert len(desk.picture.waiting()) == 1, "the caller still waits"
    desk.play()
    assert len(desk.published.of(events.AgentCalled)) == 3
    # app_queue reports the TIMEOUT with a QueueCallerAbandon: the caller did not hang up
    assert desk.published.of(events.QueueCallAbandoned) == []
    assert [c.linkedid for c in desk.published.of(events.CallerLeftQueue)] == ["1795582531.30"]
    assert desk.picture.waiting() == []


def test_a_caller_who_hangs_up_while_waiting_is_abandoned() -> None:
    desk = Desk("abandon.txt")
    desk.play("QueueCallerJoin", CallerIDNum="3330000006")
    assert [c.caller_id for c in desk.picture.waiting()] == ["3330000006"]
    desk.play("QueueCallerAbandon")
    assert desk.published.of(events.QueueCallAbandoned) == [events.QueueCallAbandoned(
        "1795581657.48", "operators", 1, 7, desk.clock.now)]
    desk.play()
    assert desk.picture.waiting() == []


class RecordedAmi:
    """Answers the actions of a QueueStatus snapshot with recorded responses."""

    def __init__(self, recording: str, linkedids: dict[str, str]) -> None:
        messages = recorded(recording)
        self.answers = {
            "QueueStatus": [m for m in messages if m.get("ActionID") == "cap-12"],
            "DeviceStateList": [m for m in messages if m.get("ActionID") == "cap-4"],
        }
        self.linkedids = linkedids
        self.actions: list[dict[str, str]] = []

    async def send_action(self, action: dict[str, str], timeout: float | None = None,
                          as_list: bool | None = None) -> object:
        self.actions.append(action)
        if action["Action"] == "Getvar":
            return {"Response": "Success", "Variable": action["Variable"],
                    "Value": self.linkedids[action["Channel"]]}
        return self.answers[action["Action"]]


async def test_the_picture_is_rebuilt_from_queue_status_alone() -> None:
    ami = RecordedAmi("queue_status.txt",
                      {"Local/s@acd-queue-0000000c;2": "1795581611.36"})
    snapshot = await read_snapshot(ami, "operators")
    assert [a["Action"] for a in ami.actions] == ["QueueStatus", "Getvar", "DeviceStateList"]
    clock = Clock(timestamp(recorded("abandon.txt")[0]))
    bus = EventBus()
    published = Published(bus, *DOMAIN_EVENTS)
    picture = AcdPicture(SETTINGS, SEATS, bus, clock=clock, timer=Timers())
    assert picture.resync(snapshot) == 0

    seats = {s.name: s for s in picture.seats()}
    assert seats["seat1"] == SeatView("seat1", "PJSIP/seat1", True, "alice", SeatState.IN_CALL,
                                      None, None)  # since when: not in QueueStatus
    assert (seats["seat2"].registered, seats["seat2"].state) == (True, SeatState.LOGGED_OUT)
    assert not seats["seat3"].registered
    [waiting] = picture.waiting()
    assert (waiting.linkedid, waiting.caller_id, waiting.position) == ("1795581611.36",
                                                                        "3330000002", 1)
    assert waiting.joined_at == clock.now - timedelta(seconds=2)  # its Wait
    assert [c.linkedid for c in published.of(events.CallerQueued)] == ["1795581611.36"]
    assert {c.seat for c in published.of(events.SeatChanged)} == {"seat1", "seat2"}


async def test_a_paused_operator_found_in_queue_status_is_paused_since_the_last_pause() -> None:
    messages = recorded("queue_status_paused.txt")
    members = [m for m in map(parse_event, messages) if isinstance(m, Member)]
    paused_at = members[0].last_pause
    assert paused_at is not None
    picture = AcdPicture(SETTINGS, SEATS, EventBus(), clock=Clock(paused_at + timedelta(minutes=5)),
                         timer=Timers())
    picture.resync(QueueSnapshot(members, [], frozenset({"seat1"})))
    seat1 = picture.seats()[0]
    assert (seat1.operator, seat1.state, seat1.reason) == ("alice", SeatState.PAUSED, "break")
    assert seat1.since == paused_at


def test_events_that_arrive_while_queue_status_is_read_are_applied_on_top() -> None:
    desk = Desk("longest_idle.txt")
    logged_in = [parse_event(m) for m in desk.messages[5:7]]  # bob added, alice paused
    desk.picture.begin_resync()
    desk.position = 7
    desk.play("QueueMemberStatus", Status="2")  # meanwhile: a caller joins, bob answers
    # the snapshot was taken while the caller still waited and bob's phone was idle
    desk.picture.resync(QueueSnapshot(
        [m for m in logged_in if isinstance(m, Member)],
        [QueuedCaller(QueueEntry("operators", "Local/s@acd-queue-00000000;2", "1795582509.1",
                                 "3331000001", 1, 0), "1795582509.0")],
        frozenset({"seat1", "seat2"})))
    assert desk.picture.waiting() == [], "the caller's leave, seen meanwhile, still counts"
    assert (desk.seat("seat1").state, desk.seat("seat2").state) == (SeatState.PAUSED,
                                                                     SeatState.IN_CALL)
    assert len(desk.published.of(events.AgentCalled)) == 1, "nothing is announced twice"
    assert len(desk.published.of(events.CallerQueued)) == 1


def test_a_malformed_or_foreign_event_is_logged_and_ignored() -> None:
    desk = Desk("operator_shift.txt")
    with capture_logs() as logs:
        desk.picture.handle({"Event": "QueueMemberStatus", "Queue": "operators",
                             "Interface": "PJSIP/seat1"})
        desk.picture.handle({"Event": "QueueMemberAdded", "Queue": "operators",
                             "MemberName": "x", "Interface": "PJSIP/seat1", "Status": "42"})
        desk.picture.handle({"Event": "QueueCallerJoin", "Queue": "operators",
                             "Position": "first"})
    assert [entry["event"] for entry in logs] == ["acd.malformed_event"] * 3
    other_queue = dict(desk.messages[2], Queue="sales")
    desk.picture.handle(other_queue)
    desk.picture.handle({"Event": "QueueMemberAdded", "Queue": "operators", "MemberName": "x",
                         "Interface": "Local/100@agents", "Status": "1"})
    assert all(seat.state == SeatState.LOGGED_OUT for seat in desk.picture.seats())
    assert desk.published.events == []
