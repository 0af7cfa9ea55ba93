"""Screen-pops: built from the call's ticket, contact and history; sent to the rung operator's
consoles only; withdrawn when void; the answering operator gets the ticket; never slowing the bus.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from structlog.testing import capture_logs

from centralino.core import events
from centralino.core.bus import EventBus
from centralino.core.calls.service import record_call_ended, record_call_started
from centralino.core.calls.terms import CallOrigin
from centralino.core.db import run_write
from cti.console.feed import ConsoleFeed, ConsoleHub
from cti.console.screen_pop import ScreenPopService
from cti.tickets.contacts import add_contact, contact_by_phone
from cti.tickets.store import IvrTrace, get_ticket
from cti.tickets.workflow import history, resolve
from tests.unit.cti.site import MENU, T0, Sessions, add_call

CALLER = "3391234567"
TRACE = IvrTrace(dtmf_path="12", ivr_outcome="queued", classification="seismic.damage",
                 language="it", contact_id=None,
                 ivr_nodes=[{"node": "main", "at": "2026-03-02T09:30:01+00:00"},
                            {"node": "seismic", "at": "2026-03-02T09:30:09+00:00"}])


@pytest.fixture
def sessions(db_session_factory: Sessions) -> Sessions:
    """SQLite and PostgreSQL: the pop's history queries run on both."""
    return db_session_factory


class Pops:
    """A screen-pop service on its own bus, with helpers to publish the ACD's events."""

    def __init__(self, sessions: Sessions, hub: ConsoleHub | None = None) -> None:
        self.bus = EventBus()
        self.service = ScreenPopService(sessions, self.bus, lambda: MENU, hub)

    def queued(self, linkedid: str, seconds: float = 0) -> None:
        self.bus.publish(events.CallerQueued(linkedid, "operators", CALLER, 1,
                                             T0 + timedelta(seconds=seconds)))

    def ring(self, linkedid: str, operator: str = "alice", seat: str = "seat1",
             seconds: float = 42, caller_id: str | None = CALLER, campaign: str | None = None,
             campaign_ticket: str | None = None) -> None:
        self.bus.publish(events.AgentCalled(linkedid, "operators", seat, operator, caller_id,
                                            T0 + timedelta(seconds=seconds), campaign,
                                            campaign_ticket))

    def answer(self, linkedid: str, operator: str = "alice", seat: str = "seat1") -> None:
        self.bus.publish(events.QueueCallAnswered(linkedid, "operators", seat, operator, 45,
                                                  T0 + timedelta(seconds=45)))

    def seat(self, seat: str, operator: str, state: str) -> None:
        self.bus.publish(events.SeatChanged(seat, operator, state, None, True, T0))


async def next_message(feed: ConsoleFeed, but: str = "seat") -> dict[str, Any]:
    """The next message that is not a ``but`` one (the seat's state, by default)."""
    while (message := await asyncio.wait_for(feed.queue.get(), 3))["type"] == but:
        pass
    return message


async def test_the_pop_shows_the_caller_their_ivr_path_the_wait_and_their_history(
    sessions: Sessions,
) -> None:
    async with sessions() as session:
        contact = await add_contact(session, "Maria Rossi", phone="+39 339 123 4567")
    earlier = await add_call(sessions, "old-1", CALLER, T0 - timedelta(days=3))
    async with sessions() as session:
        await run_write(session, record_call_ended, "old-1", T0 - timedelta(days=3, seconds=-90),
                                "answered")
        await resolve(session, earlier, "Informazioni date", "bob")
    await add_call(sessions, "other", "0612345678", T0 - timedelta(days=1))
    code = await add_call(sessions, "call-1", CALLER, T0, TRACE)
    pops = Pops(sessions)
    feed = pops.service.open_console("alice")

    pops.queued("call-1")
    pops.ring("call-1")
    message = await next_message(feed)

    assert message["type"] == "pop" and message["answered"] is False
    pop = message["pop"]
    assert (pop["linkedid"], pop["seat"], pop["caller_id"]) == ("call-1", "seat1", CALLER)
    assert pop["waited_seconds"] == 42 and pop["queued_at"] == T0.isoformat()
    assert pop["contact"] == {"id": contact.id, "name": "Maria Rossi", "phone": "+393391234567",
                              "matched_by": "phone"}
    ticket = pop["ticket"]
    assert ticket["tracking_code"] == code and ticket["status"] == "new"
    assert (ticket["dtmf_path"], ticket["ivr_outcome"]) == ("12", "queued")
    assert [node["node"] for node in ticket["ivr_nodes"]] == ["main", "seismic"]
    assert ticket["classification_label"] == "Danni a edifici"
    assert [c["linkedid"] for c in pop["previous_calls"]] == ["old-1"]
    assert pop["previous_calls"][0]["tracking_code"] == earlier
    assert pop["previous_calls"][0]["duration_seconds"] == 90
    assert [(t["tracking_code"], t["status"], t["resolution"])
            for t in pop["previous_tickets"]] == [(earlier, "resolved", "Informazioni date")]


async def test_the_pop_shows_the_campaign_calls_the_center_placed_to_the_caller(
    sessions: Sessions,
) -> None:
    async with sessions() as session:
        await run_write(session, record_call_started, "campaign-1", channel="Local/x;1",
                        did="s", at=T0 - timedelta(days=2), caller_id=CALLER,
                        origin=CallOrigin.CAMPAIGN)
    await add_call(sessions, "call-1", CALLER, T0)
    pops = Pops(sessions)
    feed = pops.service.open_console("alice")

    pops.ring("call-1")
    pop = (await next_message(feed))["pop"]

    assert [(c["linkedid"], c["origin"]) for c in pop["previous_calls"]] == [
        ("campaign-1", "campaign")]


async def test_a_campaign_call_shows_its_campaign_and_the_contacts_ticket(
    sessions: Sessions,
) -> None:
    contact_ticket = await add_call(sessions, "fault-1", CALLER, T0 - timedelta(days=5))
    async with sessions() as session:
        await resolve(session, contact_ticket, "Guasto riparato", "bob")
    own = await add_call(sessions, "campaign-call", CALLER, T0)  # opened at the hand-off
    pops = Pops(sessions)
    feed = pops.service.open_console("alice")

    pops.ring("campaign-call", campaign="Faults March", campaign_ticket=contact_ticket)
    pop = (await next_message(feed))["pop"]

    assert pop["campaign"] == "Faults March"
    assert pop["campaign_ticket"] == {"tracking_code": contact_ticket, "status": "resolved"}
    assert pop["ticket"]["tracking_code"] == own


async def test_a_campaign_ticket_that_does_not_exist_is_shown_as_not_found(
    sessions: Sessions,
) -> None:
    await add_call(sessions, "campaign-call", CALLER, T0)
    pops = Pops(sessions)
    feed = pops.service.open_console("alice")

    pops.ring("campaign-call", campaign="Alerts", campaign_ticket="0000000")
    pop = (await next_message(feed))["pop"]

    assert pop["campaign_ticket"] == {"tracking_code": "0000000", "status": None}


async def test_a_call_of_the_toll_free_number_has_no_campaign(sessions: Sessions) -> None:
    await add_call(sessions, "call-1", CALLER, T0)
    pops = Pops(sessions)
    feed = pops.service.open_console("alice")

    pops.ring("call-1")
    pop = (await next_message(feed))["pop"]

    assert pop["campaign"] is None and pop["campaign_ticket"] is None


async def test_the_contact_who_keyed_their_pin_wins_over_the_caller_id(
    sessions: Sessions,
) -> None:
    async with sessions() as session:
        await add_contact(session, "Owner Of The Phone", phone=CALLER)
        keyed = await add_contact(session, "Giulia Bianchi", phone="+39 06 1234 5678",
                                  pin="4711", pin_key="k")
    old = await add_call(sessions, "giulia-old", "0612345678", T0 - timedelta(days=9))
    await add_call(sessions, "call-1", CALLER, T0,
                   IvrTrace("", [], "queued", None, "it", keyed.id))
    pops = Pops(sessions)
    feed = pops.service.open_console("alice")

    pops.ring("call-1")
    pop = (await next_message(feed))["pop"]

    assert (pop["contact"]["name"], pop["contact"]["matched_by"]) == ("Giulia Bianchi", "pin")
    assert [t["tracking_code"] for t in pop["previous_tickets"]] == [old]
    assert [c["linkedid"] for c in pop["previous_calls"]] == ["giulia-old"]


async def test_an_unknown_caller_gets_a_pop_without_contact_or_history(
    sessions: Sessions,
) -> None:
    await add_call(sessions, "call-1", None, T0)
    pops = Pops(sessions)
    feed = pops.service.open_console("alice")

    pops.ring("call-1", caller_id=None)
    pop = (await next_message(feed))["pop"]

    assert pop["caller_id"] is None and pop["contact"] is None
    assert pop["waited_seconds"] is None  # the queueing was not seen
    assert pop["previous_calls"] == [] and pop["previous_tickets"] == []


async def test_the_pop_reaches_every_console_of_the_rung_operator_and_nobody_else(
    sessions: Sessions,
) -> None:
    await add_call(sessions, "call-1", CALLER, T0)
    pops = Pops(sessions)
    alice_tabs = [pops.service.open_console("alice"), pops.service.open_console("alice")]
    bob = pops.service.open_console("bob")

    pops.ring("call-1", operator="alice")

    for tab in alice_tabs:
        assert (await next_message(tab))["pop"]["operator"] == "alice"
    await asyncio.sleep(0.05)
    assert bob.queue.empty()


async def test_a_console_opened_while_the_seat_rings_gets_the_current_pop(
    sessions: Sessions,
) -> None:
    code = await add_call(sessions, "call-1", CALLER, T0)
    pops = Pops(sessions)
    first = pops.service.open_console("alice")
    pops.ring("call-1")
    await next_message(first)

    late = pops.service.open_console("alice")

    assert (await next_message(late))["pop"]["linkedid"] == "call-1"
    assert pops.service.current_ticket("alice") == code
    assert pops.service.current_ticket("bob") is None


async def test_answering_assigns_the_ticket_to_the_operator(sessions: Sessions) -> None:
    code = await add_call(sessions, "call-1", CALLER, T0)
    pops = Pops(sessions)
    feed = pops.service.open_console("alice")
    pops.ring("call-1")
    await next_message(feed)

    pops.seat("seat1", "alice", "ringing")
    pops.answer("call-1")
    pops.seat("seat1", "alice", "in_call")

    assert await next_message(feed) == {"type": "answered", "linkedid": "call-1"}
    assert await next_message(feed) == {"type": "assigned", "linkedid": "call-1",
                                        "tracking_code": code, "status": "assigned",
                                        "assigned_to": "alice"}
    async with sessions() as session:
        ticket = await get_ticket(session, code)
        changes = await history(session, code)
    assert ticket is not None and (ticket.status, ticket.assigned_to) == ("assigned", "alice")
    assert {(c.kind, c.to_value, c.actor) for c in changes} == {
        ("status", "assigned", "system"), ("assignment", "alice", "system")}
    replay = pops.service.open_console("alice")
    assert (await next_message(replay))["answered"] is True


@pytest.mark.parametrize(("after_ringing", "reason"), [
    ("unanswered", "not_answered"), ("answered_by_bob", "answered_elsewhere"),
    ("abandoned", "abandoned")])
async def test_a_pop_that_became_void_is_withdrawn(sessions: Sessions, after_ringing: str,
                                                   reason: str) -> None:
    await add_call(sessions, "call-1", CALLER, T0)
    pops = Pops(sessions)
    feed = pops.service.open_console("alice")
    pops.ring("call-1")
    pops.seat("seat1", "alice", "ringing")
    await next_message(feed)

    if after_ringing == "unanswered":
        pops.seat("seat1", "alice", "ready")
    elif after_ringing == "answered_by_bob":
        pops.answer("call-1", operator="bob", seat="seat2")
    else:
        pops.bus.publish(events.QueueCallAbandoned("call-1", "operators", 1, 50,
                                                   T0 + timedelta(seconds=50)))

    assert await next_message(feed) == {"type": "withdrawn", "linkedid": "call-1",
                                        "reason": reason}
    assert pops.service.current_ticket("alice") is None


async def test_a_pop_withdrawn_before_it_is_built_is_never_sent(sessions: Sessions) -> None:
    await add_call(sessions, "call-1", CALLER, T0)
    pops = Pops(sessions)
    feed = pops.service.open_console("alice")

    pops.ring("call-1")
    pops.bus.publish(events.QueueCallAbandoned("call-1", "operators", 1, 43, T0))

    assert (await next_message(feed))["type"] == "withdrawn"
    await asyncio.sleep(0.1)
    assert feed.queue.empty()


def test_a_console_that_reads_too_slowly_loses_its_oldest_messages() -> None:
    hub = ConsoleHub(maxsize=3)
    slow, other = hub.connect("alice"), hub.connect("bob")
    with capture_logs() as logs:
        for n in range(10):
            hub.send("alice", {"type": "pop", "n": n})
    hub.send("bob", {"type": "pop", "n": 0})

    assert [slow.queue.get_nowait()["n"] for _ in range(3)] == [7, 8, 9]
    assert slow.dropped == 7 and other.queue.qsize() == 1
    assert sum(log["event"] == "console.message_dropped" for log in logs) == 7


async def test_the_bus_never_waits_for_the_database_or_a_console(sessions: Sessions) -> None:
    """Handlers only start tasks: with the database stalled and a console that never reads,
    publishing returns at once and the bus's other subscribers get every event."""
    stalled = asyncio.Event()

    class StalledSession:
        async def __aenter__(self) -> None:
            await stalled.wait()

        async def __aexit__(self, *_exc: object) -> None:
            return None

    bus = EventBus()
    seen: list[str] = []
    service = ScreenPopService(lambda: StalledSession(), bus, lambda: MENU,  # type: ignore[arg-type]
                               ConsoleHub(maxsize=2))
    bus.subscribe(events.AgentCalled, lambda event: seen.append(event.linkedid))
    service.open_console("alice")

    before = len(asyncio.all_tasks())
    for n in range(500):
        bus.publish(events.AgentCalled(f"call-{n}", "operators", "seat1", "alice", CALLER, T0))
        bus.publish(events.QueueCallAnswered(f"call-{n}", "operators", "seat1", "alice", 3, T0))
    await asyncio.sleep(0)  # let the handlers' tasks reach the stalled database

    assert len(seen) == 500
    stalled_work = [task for task in asyncio.all_tasks() if not task.done()]
    assert len(stalled_work) - before >= 500  # the pops and assignments wait, the bus did not
    await service.stop()  # the stalled pops and assignments are cancelled, not left behind


@pytest.mark.parametrize("caller_id", ["3391234567", "+393391234567", "0039 339 123 4567"])
async def test_a_contact_is_found_by_their_number_in_any_usual_form(
    sessions: Sessions, caller_id: str,
) -> None:
    async with sessions() as session:
        await add_contact(session, "Maria Rossi", phone="339 123 4567")
        found = await contact_by_phone(session, caller_id)
        assert found is not None and found.name == "Maria Rossi"
        assert await contact_by_phone(session, "anonymous") is None
        assert await contact_by_phone(session, "3401234567") is None


async def test_the_operators_console_follows_their_seat(sessions: Sessions) -> None:
    pops = Pops(sessions)
    alice, bob = pops.service.open_console("alice"), pops.service.open_console("bob")

    pops.bus.publish(events.SeatChanged("seat2", "alice", "paused", "break", True, T0))

    assert await next_message(alice, but="") == {"type": "seat", "seat": "seat2",
                                                 "state": "paused",
                                                 "reason": "break", "registered": True,
                                                 "since": T0.isoformat()}
    assert bob.queue.empty()
