"""The operator console: who may open it, the ticket form (with CSRF), search, the seat
buttons, and the screen-pop WebSocket (each operator gets only their own pops)."""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from acd.state import SeatState
from centralino.core import events
from centralino.core.db import create_engine, session_factory, upgrade_database
from cti.tickets.contacts import add_contact
from cti.tickets.queries import search
from cti.tickets.store import IvrTrace, get_ticket
from cti.tickets.tracking import format_for_display
from cti.tickets.workflow import history
from tests.unit.cti.site import (
    HTML,
    T0,
    Sessions,
    Site,
    WebSocketSession,
    add_call,
    csrf,
    make_site,
)

CALLER = "3391234567"


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    await upgrade_database(url)
    engine = create_engine(url)
    try:
        yield await make_site(session_factory(engine))
    finally:
        await engine.dispose()


@pytest_asyncio.fixture
async def alice(site: Site) -> AsyncIterator[httpx.AsyncClient]:
    async with site.signed_in("alice") as client:
        yield client


async def ring(site: Site, linkedid: str, operator: str = "alice") -> None:
    site.bus.publish(events.AgentCalled(linkedid, "operators", "seat1", operator, CALLER, T0))


# -- the page -------------------------------------------------------------------------------


async def test_the_console_sends_a_browser_to_sign_in_first(site: Site) -> None:
    async with site.client() as client:
        response = await client.get("/console", headers=HTML)
    assert response.status_code == 303 and response.headers["location"] == "/login"


async def test_an_operator_opens_the_console_but_not_the_live_view(
    alice: httpx.AsyncClient,
) -> None:
    page = await alice.get("/console")
    assert page.status_code == 200
    assert "Console operatore" in page.text and "alice" in page.text
    assert page.headers["cache-control"] == "no-store"
    policy = page.headers["content-security-policy"]
    assert "script-src 'nonce-" in policy and "frame-ancestors 'none'" in policy
    assert (await alice.get("/supervisor")).status_code == 403


async def test_a_supervisor_may_open_the_console_too(site: Site) -> None:
    async with site.signed_in("sara") as sara:
        assert (await sara.get("/console")).status_code == 200


async def test_the_ticket_form_lists_the_classification_tree_with_its_labels(
    site: Site, alice: httpx.AsyncClient,
) -> None:
    code = await add_call(site.sessions, "call-1", CALLER, T0)
    page = await alice.get(f"/console?ticket={format_for_display(code)}")
    assert f'action="/console/tickets/{code}"' in page.text
    assert '<option value="seismic.damage">' in page.text and "Danni a edifici" in page.text
    assert page.text.index("Rischio sismico") < page.text.index("Danni a edifici")


async def test_the_current_pops_ticket_is_the_one_in_the_form(
    site: Site, alice: httpx.AsyncClient,
) -> None:
    code = await add_call(site.sessions, "call-1", CALLER, T0)
    feed = site.cti.pops.open_console("alice")
    await ring(site, "call-1")
    await asyncio.wait_for(feed.queue.get(), 3)
    page = await alice.get("/console")
    assert f'action="/console/tickets/{code}"' in page.text
    assert format_for_display(code) in page.text


async def test_an_unknown_ticket_says_so(alice: httpx.AsyncClient) -> None:
    page = await alice.get("/console?ticket=123456786")
    assert page.status_code == 200 and "Nessuna pratica con il codice 123456786" in page.text


# -- the ticket form ------------------------------------------------------------------------


async def test_the_ticket_form_needs_the_csrf_token(site: Site,
                                                    alice: httpx.AsyncClient) -> None:
    code = await add_call(site.sessions, "call-1", CALLER, T0)
    response = await alice.post(f"/console/tickets/{code}",
                                data={"classification": "hydro", "action": "save"})
    assert response.status_code == 403
    async with site.sessions() as session:
        ticket = await get_ticket(session, code)
    assert ticket is not None and ticket.classification is None


async def test_an_operator_classifies_notes_and_resolves_a_ticket(
    site: Site, alice: httpx.AsyncClient,
) -> None:
    code = await add_call(site.sessions, "call-1", CALLER, T0)
    page = await alice.get(f"/console?ticket={code}")
    response = await alice.post(f"/console/tickets/{code}", data={
        "csrf_token": csrf(page.text), "classification": "seismic.damage",
        "note": "Crepa nel muro portante", "callback": "true",
        "resolution": "Inviato il tecnico comunale", "action": "resolve"})

    assert response.status_code == 303
    assert response.headers["location"] == f"/console?ticket={code}"
    async with site.sessions() as session:
        ticket = await get_ticket(session, code)
        changes = await history(session, code)
    assert ticket is not None
    assert (ticket.status, ticket.classification, ticket.callback_requested) == (
        "resolved", "seismic.damage", True)
    assert ticket.notes == "Crepa nel muro portante"
    assert ticket.resolution == "Inviato il tecnico comunale"
    assert ticket.due_at == ticket.created_at + timedelta(hours=4)  # seismic's SLA
    assert {change.actor for change in changes} == {"alice"}
    back = await alice.get(response.headers["location"])
    assert "classificata, nota aggiunta, richiamata richiesta, risolta" in back.text
    assert "Le mie pratiche" in back.text


async def test_a_ticket_goes_to_the_second_level_team(site: Site,
                                                      alice: httpx.AsyncClient) -> None:
    code = await add_call(site.sessions, "call-1", CALLER, T0)
    page = await alice.get(f"/console?ticket={code}")
    response = await alice.post(f"/console/tickets/{code}", data={
        "csrf_token": csrf(page.text), "second_level": "true", "team": "genio-civile",
        "action": "save"})
    assert response.status_code == 303
    async with site.sessions() as session:
        ticket = await get_ticket(session, code)
    assert ticket is not None
    assert (ticket.status, ticket.second_level_team) == ("waiting_second_level", "genio-civile")


@pytest.mark.parametrize(("form", "message"), [
    ({"action": "resolve", "note": "Richiamato"}, "scrivi la soluzione adottata"),
    ({"second_level": "true", "note": "Richiamato"}, "Indica l'ufficio"),
    ({"classification": "no.such.thing", "note": "Richiamato"}, "Classificazione sconosciuta"),
])
async def test_a_form_that_cannot_be_applied_changes_nothing_and_keeps_what_was_typed(
    site: Site, alice: httpx.AsyncClient, form: dict[str, str], message: str,
) -> None:
    code = await add_call(site.sessions, "call-1", CALLER, T0)
    page = await alice.get(f"/console?ticket={code}")
    response = await alice.post(f"/console/tickets/{code}",
                                data={"csrf_token": csrf(page.text), **form})
    assert response.status_code == 422
    assert message in html.unescape(response.text)
    assert ">Richiamato</textarea>" in response.text
    async with site.sessions() as session:
        assert await history(session, code) == []


async def test_resolving_a_resolved_ticket_is_refused_in_italian(
    site: Site, alice: httpx.AsyncClient,
) -> None:
    code = await add_call(site.sessions, "call-1", CALLER, T0)
    page = await alice.get(f"/console?ticket={code}")
    data = {"csrf_token": csrf(page.text), "resolution": "Fatto", "action": "resolve"}
    assert (await alice.post(f"/console/tickets/{code}", data=data)).status_code == 303
    again = await alice.post(f"/console/tickets/{code}", data=data)
    assert again.status_code == 409
    assert "Una pratica «Risolta» non può diventare «Risolta»" in again.text


# -- search ---------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["Rossi", "+39 339 123 4567", "CODE"])
async def test_search_finds_tickets_by_name_number_or_tracking_code(
    site: Site, alice: httpx.AsyncClient, query: str,
) -> None:
    async with site.sessions() as session:
        contact = await add_contact(session, "Maria Rossi", phone=CALLER)
    code = await add_call(site.sessions, "call-1", CALLER, T0,
                          IvrTrace("", [], "queued", None, "it", contact.id))
    other = await add_call(site.sessions, "call-2", "0612345678", T0)
    query = format_for_display(code) if query == "CODE" else query

    page = await alice.get("/console", params={"q": query})

    assert f"/console?ticket={code}" in page.text
    assert f"/console?ticket={other}" not in page.text


async def test_search_escapes_wildcards_and_runs_on_every_backend(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        await add_contact(session, "Anna 100% Verdi", phone="0612345678")
        await add_contact(session, "Anna Neri")
    code = await add_call(db_session_factory, "call-1", "0612345678", T0)
    async with db_session_factory() as session:
        by_name = await search(session, "100%")
        by_number = await search(session, "06 1234 5678")
        nothing = await search(session, "x")
    assert [c.name for c in by_name.contacts] == ["Anna 100% Verdi"]
    assert [t.tracking_code for t in by_number.tickets] == [code]
    assert nothing.contacts == [] and nothing.tickets == []


async def test_a_search_with_no_match_says_so(alice: httpx.AsyncClient) -> None:
    page = await alice.get("/console", params={"q": "Nessuno_100%"})
    assert "Nessun risultato per «Nessuno_100%»" in page.text


# -- the seat buttons -----------------------------------------------------------------------


async def test_the_seat_buttons_act_for_the_signed_in_operator(
    site: Site, alice: httpx.AsyncClient,
) -> None:
    page = await alice.get("/console")
    token = csrf(page.text)
    assert "Entra in servizio" in page.text
    for path, data in [("login", {"seat": "seat2"}), ("pause", {"reason": "break"}),
                       ("ready", {}), ("logout", {})]:
        response = await alice.post(f"/console/seat/{path}", data={"csrf_token": token, **data})
        assert response.status_code == 303 and response.headers["location"] == "/console"
    assert site.operators.calls == [("login", "alice", "seat2"), ("pause", "alice", "break"),
                                    ("ready", "alice"), ("logout", "alice")]
    assert (await alice.post("/console/seat/ready")).status_code == 403  # no token
    assert len(site.operators.calls) == 4


async def test_a_refused_seat_action_is_explained(site: Site,
                                                  alice: httpx.AsyncClient) -> None:
    token = csrf((await alice.get("/console")).text)
    site.operators.refuse = "seat2 is taken by bob; they must log out first"
    await alice.post("/console/seat/login", data={"csrf_token": token, "seat": "seat2"})
    page = await alice.get("/console")
    assert "Non è stato possibile: seat2 is taken by bob" in page.text


async def test_the_console_shows_the_operators_seat_and_its_state(
    site: Site, alice: httpx.AsyncClient,
) -> None:
    site.acd.place("seat3", "alice", SeatState.PAUSED, "training", T0)
    page = await alice.get("/console")
    assert "seat3" in page.text and "In pausa: Formazione" in page.text
    assert 'action="/console/seat/ready"' in page.text


# -- the screen-pop WebSocket ---------------------------------------------------------------


async def test_the_websocket_refuses_a_console_without_a_session(site: Site) -> None:
    async with site.client() as anonymous:
        async with WebSocketSession(site.app, anonymous.cookies) as socket:
            assert not socket.accepted and socket.close_code == 1008


async def test_the_websocket_refuses_another_sites_page(site: Site,
                                                        alice: httpx.AsyncClient) -> None:
    async with WebSocketSession(site.app, alice.cookies, origin="http://evil.example") as socket:
        assert not socket.accepted and socket.close_code == 1008


async def test_each_operator_gets_their_own_pops_and_not_the_others(
    site: Site, alice: httpx.AsyncClient,
) -> None:
    code = await add_call(site.sessions, "call-1", CALLER, T0)
    async with site.signed_in("bob") as bob, \
            WebSocketSession(site.app, alice.cookies) as alice_console, \
            WebSocketSession(site.app, bob.cookies) as bob_console:
        assert alice_console.accepted and bob_console.accepted
        await ring(site, "call-1", operator="alice")

        message = await alice_console.receive_json()
        assert message["type"] == "pop"
        assert message["pop"]["ticket"]["tracking_code"] == code
        assert await bob_console.nothing_within(0.3)


async def test_a_console_opened_after_saving_sees_the_ticket_as_saved(
    site: Site, alice: httpx.AsyncClient,
) -> None:
    code = await add_call(site.sessions, "call-1", CALLER, T0)
    feed = site.cti.pops.open_console("alice")
    await ring(site, "call-1")
    await asyncio.wait_for(feed.queue.get(), 3)
    page = await alice.get("/console")
    await alice.post(f"/console/tickets/{code}", data={
        "csrf_token": csrf(page.text), "resolution": "Fatto", "action": "resolve"})

    async with WebSocketSession(site.app, alice.cookies) as console:
        replay = await console.receive_json()
    assert replay["pop"]["ticket"]["status"] == "resolved"
