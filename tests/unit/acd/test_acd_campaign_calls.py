"""A campaign call handed to the operators: AgentCalled carries its campaign and the contact's
ticket (``ChanVariable`` headers, as Asterisk 22 sent them on the sandbox), up to the bus."""

from __future__ import annotations

from acd.ami_events import AgentEvent, parse_event
from centralino.core import events
from tests.unit.acd.test_acd_state import Desk

# An AgentCalled from the sandbox (manager.conf channelvars), trimmed to what is read; the
# seat's own variables come as DestChanVariable and are not the caller's.
AGENT_CALLED = {
    "Event": "AgentCalled", "Timestamp": "1796488410.387452", "Queue": "operators",
    "Interface": "PJSIP/seat1", "MemberName": "alice", "CallerIDNum": "+393331234567",
    "Linkedid": "1796488410.0",
    "ChanVariable": ["CENTRALINO_CAMPAIGN=Faults March", "CENTRALINO_TICKET=1234567"],
    "DestChanVariable": ["CENTRALINO_CAMPAIGN=", "CENTRALINO_TICKET="],
}


def test_agent_called_of_a_campaign_call_names_the_campaign_and_the_ticket() -> None:
    event = parse_event(AGENT_CALLED)
    assert isinstance(event, AgentEvent)
    assert (event.campaign, event.campaign_ticket) == ("Faults March", "1234567")


def test_a_caller_of_the_toll_free_number_has_no_campaign() -> None:
    unset = {**AGENT_CALLED, "ChanVariable": ["CENTRALINO_CAMPAIGN=", "CENTRALINO_TICKET="]}
    for message in (unset, {k: v for k, v in AGENT_CALLED.items() if k != "ChanVariable"}):
        event = parse_event(message)
        assert isinstance(event, AgentEvent)
        assert (event.campaign, event.campaign_ticket) == (None, None)


def test_a_single_channel_variable_comes_as_one_header() -> None:
    event = parse_event({**AGENT_CALLED, "ChanVariable": "CENTRALINO_CAMPAIGN=Alerts"})
    assert isinstance(event, AgentEvent)
    assert (event.campaign, event.campaign_ticket) == ("Alerts", None)


def test_the_seat_rung_for_a_campaign_call_is_announced_with_its_campaign() -> None:
    desk = Desk("longest_idle.txt")
    called = next(m for m in desk.messages if m.get("Event") == "AgentCalled")
    called["ChanVariable"] = AGENT_CALLED["ChanVariable"]
    desk.play("AgentCalled")
    [published] = desk.published.of(events.AgentCalled)
    assert (published.campaign, published.campaign_ticket) == ("Faults March", "1234567")
