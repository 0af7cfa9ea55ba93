"""Operator actions check the queue first, then send the AMI action app_queue expects."""

from __future__ import annotations

from typing import Any

import pytest

from acd.operators import InvalidRequest, OperatorDesk, Placement, Refused
from acd.queue_status import AcdActionFailed
from config.settings import AcdSettings
from tests.unit.acd.acd_replay import recorded

SEATS = ["seat1", "seat2", "seat3"]
SUCCESS = {"Response": "Success", "Message": "done"}


class FakeAmi:
    """Answers QueueStatus with the recorded member list (alice paused on seat1), DeviceStateList
    with ``registered``, and every other action with ``answer``."""

    def __init__(self, members: bool = True, registered: tuple[str, ...] = ("seat1", "seat2"),
                 answer: dict[str, str] = SUCCESS) -> None:
        status = recorded("queue_status_paused.txt")
        self.status = status if members else [status[0], status[-1]]
        self.registered = registered
        self.answer = answer
        self.sent: list[tuple[dict[str, str], bool | None]] = []

    async def send_action(self, action: dict[str, str], timeout: float | None = None,
                          as_list: bool | None = None) -> Any:
        if action["Action"] == "QueueStatus":
            return self.status
        if action["Action"] == "DeviceStateList":
            return [{"Response": "Success"}] + [
                {"Event": "DeviceStateChange", "Device": f"PJSIP/{seat}",
                 "State": "NOT_INUSE" if seat in self.registered else "UNAVAILABLE"}
                for seat in SEATS] + [{"Event": "DeviceStateListComplete"}]
        self.sent.append((action, as_list))
        return self.answer


def desk(ami: FakeAmi) -> OperatorDesk:
    return OperatorDesk(ami, AcdSettings(), SEATS)


async def test_login_adds_the_operator_as_a_member_of_the_seat_unpaused() -> None:
    ami = FakeAmi(members=False)
    assert await desk(ami).login("bob", "seat2") == Placement("bob", "seat2", True)
    assert ami.sent == [({"Action": "QueueAdd", "Queue": "operators", "Interface": "PJSIP/seat2",
                          "MemberName": "bob", "StateInterface": "PJSIP/seat2", "Penalty": "0",
                          "Paused": "false"}, False)]  # panoramisk would wait for a list


async def test_login_at_a_seat_without_a_registered_phone_works_and_says_so() -> None:
    ami = FakeAmi(members=False, registered=())
    assert (await desk(ami).login("bob", "seat3")).registered is False


async def test_logging_in_again_at_the_same_seat_changes_nothing() -> None:
    ami = FakeAmi()
    assert await desk(ami).login("alice", "seat1") == Placement("alice", "seat1", True)
    assert ami.sent == []


@pytest.mark.parametrize(("operator", "seat", "error", "message"), [
    ("bob", "seat1", Refused, "seat1 is taken by alice"),
    ("alice", "seat2", Refused, "alice is already logged in at seat1"),
    ("bob", "seat9", InvalidRequest, "unknown seat 'seat9'; the seats are seat1, seat2, seat3"),
    ("bob smith", "seat2", InvalidRequest, "operator name 'bob smith'"),
])
async def test_login_refusals_say_why(operator: str, seat: str, error: type[Exception],
                                      message: str) -> None:
    ami = FakeAmi()
    with pytest.raises(error, match=message):
        await desk(ami).login(operator, seat)
    assert ami.sent == []


async def test_a_seat_taken_in_the_meantime_is_refused() -> None:
    ami = FakeAmi(members=False, answer={"Response": "Error",
                                         "Message": "Unable to add interface: Already there"})
    with pytest.raises(Refused, match="seat2 was just taken"):
        await desk(ami).login("bob", "seat2")


async def test_pause_sends_the_reason_and_ready_unpauses() -> None:
    ami = FakeAmi()
    assert await desk(ami).pause("alice", "training") == Placement("alice", "seat1")
    assert await desk(ami).ready("alice") == Placement("alice", "seat1")
    assert [action for action, _ in ami.sent] == [
        {"Action": "QueuePause", "Queue": "operators", "Interface": "PJSIP/seat1",
         "Paused": "true", "Reason": "training"},
        {"Action": "QueuePause", "Queue": "operators", "Interface": "PJSIP/seat1",
         "Paused": "false"}]


async def test_pausing_again_for_the_same_reason_sends_nothing() -> None:
    ami = FakeAmi()  # alice is paused for a break
    await desk(ami).pause("alice", "break")
    assert ami.sent == []


async def test_logout_removes_the_member() -> None:
    ami = FakeAmi()
    await desk(ami).logout("alice")
    assert [action for action, _ in ami.sent] == [
        {"Action": "QueueRemove", "Queue": "operators", "Interface": "PJSIP/seat1"}]


async def test_pause_ready_and_logout_need_a_logged_in_operator_and_a_known_reason() -> None:
    ami = FakeAmi()
    with pytest.raises(InvalidRequest, match="unknown pause reason 'lunch'; the reasons are "
                                             "break, back_office, training"):
        await desk(ami).pause("alice", "lunch")
    for action in (desk(ami).ready("bob"), desk(ami).logout("bob"),
                   desk(ami).pause("bob", "break")):
        with pytest.raises(Refused, match="bob is not logged in"):
            await action
    assert ami.sent == []


async def test_an_error_from_asterisk_is_an_ami_error() -> None:
    ami = FakeAmi(answer={"Response": "Error", "Message": "Interface not found"})
    with pytest.raises(AcdActionFailed, match="QueueRemove: Interface not found"):
        await desk(ami).logout("alice")
