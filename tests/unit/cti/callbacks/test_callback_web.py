"""The callback list on the operator console and in the JSON API: tasks soonest due first with
their messages (player, transcript) and tickets; "call back" from the operator's seat, "close"
by hand; every console told when a task changes, and the list served alone to swap in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest_asyncio

from acd.state import SeatState
from centralino.core.bus import EventBus
from centralino.core.db import create_engine, session_factory, upgrade_database
from config.settings import CallbackSettings
from cti.callbacks.models import Callback, CallbackOutcome, CallbackReason
from cti.callbacks.service import CallbackRequest, CallbackService
from cti.callbacks.store import get_callback
from recordings.models import Recording
from tests.unit.cti.callbacks.test_callbacks import FakeDialer, Hours
from tests.unit.cti.site import (
    HTML,
    T0,
    FakeAcd,
    Sessions,
    Site,
    WebSocketSession,
    add_call,
    csrf,
    make_site,
)

CALLER = "+393331234567"


@dataclass
class CallbackSite:
    site: Site
    dialer: FakeDialer
    service: CallbackService


@pytest_asyncio.fixture
async def web(tmp_path: Path) -> AsyncIterator[CallbackSite]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'callbacks.db'}"
    await upgrade_database(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    bus, acd, dialer = EventBus(), FakeAcd(), FakeDialer()
    service = CallbackService(sessions, bus, dialer, acd, CallbackSettings(), lambda: T0)
    await service.start(Hours(), background=False)
    try:
        yield CallbackSite(await make_site(sessions, bus, acd, service), dialer, service)
    finally:
        await engine.dispose()


async def voicemail_task(web: CallbackSite, transcript: str | None = "Ho un guasto") -> Callback:
    """A voicemail from ``CALLER`` (its call has a ticket) and the task it opened."""
    sessions: Sessions = web.site.sessions
    await add_call(sessions, "vm.1", CALLER, T0)
    async with sessions() as session:
        recording = Recording(kind="voicemail", asterisk_name="vm-1", call_linkedid="vm.1",
                              caller_id=CALLER, situation="closed", path="vm-1.wav",
                              duration_seconds=12.4, size_bytes=1000, sha256="0" * 64,
                              transcript={"text": transcript} if transcript else None,
                              recorded_at=T0)
        session.add(recording)
        await session.commit()
    task = await web.service.request(CallbackRequest(CALLER, CallbackReason.VOICEMAIL, "vm.1",
                                                     recording.id))
    assert task is not None
    return task


async def test_the_console_lists_the_callback_with_its_player_and_transcript(
    web: CallbackSite,
) -> None:
    task = await voicemail_task(web)
    async with web.site.signed_in("alice") as alice:
        page = (await alice.get("/console", headers=HTML)).text
    assert CALLER in page and "Messaggio in segreteria" in page
    assert f'src="/recordings/{task.recording_ids[0]}/audio"' in page
    assert "Ho un guasto" in page
    assert f'action="/console/callbacks/{task.id}/call"' in page
    assert "media-src 'self'" in (await _headers(web.site)).get("content-security-policy", "")


async def test_a_message_not_yet_transcribed_says_so(web: CallbackSite) -> None:
    await voicemail_task(web, transcript=None)
    async with web.site.signed_in("alice") as alice:
        page = (await alice.get("/console", headers=HTML)).text
    assert "trascrizione non disponibile" in page


async def test_call_back_from_the_console_rings_the_operators_seat(web: CallbackSite) -> None:
    task = await voicemail_task(web)
    web.site.acd.place("seat2", "alice", SeatState.READY)
    async with web.site.signed_in("alice") as alice:
        page = (await alice.get("/console", headers=HTML)).text
        response = await alice.post(f"/console/callbacks/{task.id}/call",
                                    data={"csrf_token": csrf(page)})
        after = (await alice.get("/console", headers=HTML)).text
    assert response.status_code == 303
    assert [(seat, number) for _, seat, number in web.dialer.calls] == [("seat2", CALLER)]
    assert f"Richiamata di {CALLER}" in after
    assert "In corso (alice)" in after


async def test_call_back_without_a_seat_is_explained(web: CallbackSite) -> None:
    task = await voicemail_task(web)
    async with web.site.signed_in("alice") as alice:
        page = (await alice.get("/console", headers=HTML)).text
        await alice.post(f"/console/callbacks/{task.id}/call", data={"csrf_token": csrf(page)})
        after = (await alice.get("/console", headers=HTML)).text
    assert "Entra in servizio su una postazione per richiamare." in after
    assert web.dialer.calls == []


async def test_call_back_needs_the_csrf_token(web: CallbackSite) -> None:
    task = await voicemail_task(web)
    web.site.acd.place("seat1", "alice", SeatState.READY)
    async with web.site.signed_in("alice") as alice:
        response = await alice.post(f"/console/callbacks/{task.id}/call")
    assert response.status_code == 403
    assert web.dialer.calls == []


async def test_the_api_lists_tasks_with_tickets_and_messages(web: CallbackSite) -> None:
    task = await voicemail_task(web)
    async with web.site.signed_in("alice") as alice:
        response = await alice.get("/api/callbacks")
    [row] = response.json()
    assert {k: row[k] for k in ("id", "caller", "reason", "attempts", "status")} == {
        "id": task.id, "caller": CALLER, "reason": "voicemail", "attempts": 0,
        "status": "open"}
    assert row["due_at"] == T0.isoformat()
    assert len(row["tickets"]) == 1
    assert row["messages"][0]["audio_url"] == f"/recordings/{task.recording_ids[0]}/audio"
    assert row["messages"][0]["transcript"] == "Ho un guasto"


async def test_the_api_calls_back_once_and_refuses_a_task_already_being_called(
    web: CallbackSite,
) -> None:
    task = await voicemail_task(web)
    web.site.acd.place("seat1", "alice", SeatState.READY)
    async with web.site.signed_in("alice") as alice:
        token = csrf((await alice.get("/console", headers=HTML)).text)
        first = await alice.post(f"/api/callbacks/{task.id}/call",
                                 headers={"X-CSRF-Token": token})
        second = await alice.post(f"/api/callbacks/{task.id}/call",
                                  headers={"X-CSRF-Token": token})
    assert (first.status_code, first.json()["status"]) == (202, "in_progress")
    assert second.status_code == 409
    assert len(web.dialer.calls) == 1


async def test_the_api_is_for_signed_in_operators(web: CallbackSite) -> None:
    async with web.site.client() as anonymous:
        assert (await anonymous.get("/api/callbacks")).status_code == 401


async def stored(web: CallbackSite, task: Callback) -> Callback:
    async with web.site.sessions() as session:
        found = await get_callback(session, task.id)
    assert found is not None
    return found


async def test_an_operator_closes_a_task_by_hand_from_the_console(web: CallbackSite) -> None:
    task = await voicemail_task(web)
    async with web.site.signed_in("alice") as alice:
        page = (await alice.get("/console", headers=HTML)).text
        assert f'action="/console/callbacks/{task.id}/close"' in page
        response = await alice.post(f"/console/callbacks/{task.id}/close",
                                    data={"csrf_token": csrf(page)})
        after = (await alice.get("/console", headers=HTML)).text
    assert response.status_code == 303
    assert f"Richiamata di {CALLER} chiusa." in after
    assert "Nessuna richiamata da fare." in after
    closed = await stored(web, task)
    assert (closed.status, closed.assigned_to) == ("closed", "alice")
    assert web.dialer.calls == []


async def test_closing_needs_the_csrf_token(web: CallbackSite) -> None:
    task = await voicemail_task(web)
    async with web.site.signed_in("alice") as alice:
        assert (await alice.post(f"/console/callbacks/{task.id}/close")).status_code == 403
    assert (await stored(web, task)).status == "open"


async def test_the_api_closes_an_open_task_and_not_one_being_called(web: CallbackSite) -> None:
    task = await voicemail_task(web)
    other = await web.service.request(CallbackRequest("+393339999999", CallbackReason.MISSED,
                                                      "missed.1"))
    assert other is not None
    web.site.acd.place("seat1", "bob", SeatState.READY)
    await web.service.call_back(other.id, "bob")
    async with web.site.signed_in("alice") as alice:
        token = {"X-CSRF-Token": csrf((await alice.get("/console", headers=HTML)).text)}
        first = await alice.post(f"/api/callbacks/{task.id}/close", headers=token)
        again = await alice.post(f"/api/callbacks/{task.id}/close", headers=token)
        being_called = await alice.post(f"/api/callbacks/{other.id}/close", headers=token)
    assert (first.status_code, first.json()["status"]) == (200, "closed")
    assert first.json()["assigned_to"] == "alice"
    assert again.status_code == 409 and being_called.status_code == 409
    assert (await stored(web, other)).status == "in_progress", "bob's call goes on"


async def test_every_console_is_told_when_a_task_changes(web: CallbackSite) -> None:
    async with web.site.signed_in("alice") as alice, web.site.signed_in("bob") as bob, \
            WebSocketSession(web.site.app, alice.cookies) as alice_console, \
            WebSocketSession(web.site.app, bob.cookies) as bob_console:
        task = await voicemail_task(web)
        for console in (alice_console, bob_console):
            assert await console.receive_json() == {"type": "callbacks", "callback": task.id,
                                                    "status": "open"}
        await web.service.close(task.id, "bob")
        for console in (alice_console, bob_console):
            assert await console.receive_json() == {"type": "callbacks", "callback": task.id,
                                                    "status": "closed"}


async def test_the_list_alone_is_served_for_the_page_to_swap_in(web: CallbackSite) -> None:
    task = await voicemail_task(web)
    async with web.site.signed_in("alice") as alice:
        response = await alice.get("/console/callbacks")
        async with web.site.client() as anonymous:
            refused = await anonymous.get("/console/callbacks")
    fragment = response.text
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert fragment.lstrip().startswith('<section class="panel" id="callbacks"')
    assert CALLER in fragment and f'action="/console/callbacks/{task.id}/call"' in fragment
    assert 'name="csrf_token"' in fragment, "its forms work once swapped in"
    assert refused.status_code in (303, 401)


async def _headers(site: Site) -> httpx.Headers:
    async with site.signed_in("alice") as alice:
        return (await alice.get("/console", headers=HTML)).headers


# -- when no call can work, and when one failed -------------------------------------------------


async def test_the_call_button_is_disabled_and_says_why_when_the_seat_phone_is_not_registered(
    web: CallbackSite,
) -> None:
    task = await voicemail_task(web)
    web.site.acd.place("seat2", "alice", SeatState.READY, registered=False)
    reason = "Il telefono della tua postazione non è registrato"
    async with web.site.signed_in("alice") as alice:
        page = (await alice.get("/console", headers=HTML)).text
        listed = (await alice.get("/console/callbacks", headers=HTML)).text
        await alice.post(f"/console/callbacks/{task.id}/call", data={"csrf_token": csrf(page)})
        after = (await alice.get("/console", headers=HTML)).text
    for html in (page, listed):
        assert f'disabled title="{reason}' in html
        assert f'id="call-blocked-{task.id}">{reason}' in html  # visible, not only a tooltip
    assert web.dialer.calls == []  # a stale button is refused too, no attempt stored
    assert reason in after and 'role="alert"' in after
    async with web.site.sessions() as session:
        assert (await get_callback(session, task.id)).attempts == 0


async def test_without_an_outbound_trunk_no_call_can_start(web: CallbackSite) -> None:
    task = await voicemail_task(web)
    web.site.acd.place("seat2", "alice", SeatState.READY)
    web.service.outbound_trunk = False  # toll_free.outbound_contact unset
    async with web.site.signed_in("alice") as alice:
        page = (await alice.get("/console", headers=HTML)).text
        response = await alice.post(f"/api/callbacks/{task.id}/call",
                                    headers={"x-csrf-token": csrf(page)})
    assert 'disabled title="Nessuna linea in uscita' in page
    assert "toll_free.outbound_contact" in page
    assert response.status_code == 409 and "Nessuna linea in uscita" in response.text
    assert web.dialer.calls == []


async def test_a_registered_seat_and_a_trunk_leave_the_button_enabled(web: CallbackSite) -> None:
    task = await voicemail_task(web)
    web.site.acd.place("seat2", "alice", SeatState.READY)
    async with web.site.signed_in("alice") as alice:
        page = (await alice.get("/console", headers=HTML)).text
    assert f"call-blocked-{task.id}" not in page
    assert '<button type="submit">Richiama</button>' in page


async def test_an_attempt_that_failed_on_the_centers_side_shows_as_an_error(
    web: CallbackSite,
) -> None:
    task = await voicemail_task(web)
    web.site.acd.place("seat2", "alice", SeatState.READY)
    web.dialer.refuse = True  # Asterisk refuses the Originate: DialFailed, stored as failed
    async with web.site.signed_in("alice") as alice:
        page = (await alice.get("/console", headers=HTML)).text
        await alice.post(f"/console/callbacks/{task.id}/call", data={"csrf_token": csrf(page)})
        listed = (await alice.get("/console/callbacks", headers=HTML)).text
    assert '<p class="flash error callback-error" role="alert">' in listed
    assert "il centralino non ha potuto avviare la chiamata" in listed
    assert 'class="callback failed"' in listed


async def test_a_seat_that_did_not_answer_shows_as_an_error_until_the_next_attempt(
    web: CallbackSite,
) -> None:
    task = await voicemail_task(web)
    web.site.acd.place("seat2", "alice", SeatState.READY)
    await web.service.call_back(task.id, "alice")
    attempt_id = web.dialer.calls[0][0]
    await web.service.finish(attempt_id, CallbackOutcome.SEAT_UNAVAILABLE, "NOANSWER")
    async with web.site.signed_in("alice") as alice:
        listed = (await alice.get("/console/callbacks", headers=HTML)).text
    assert "la postazione non ha risposto" in listed and 'role="alert"' in listed
    await web.service.call_back(task.id, "alice")  # in progress again: no stale error
    async with web.site.signed_in("alice") as alice:
        listed = (await alice.get("/console/callbacks", headers=HTML)).text
    assert "la postazione non ha risposto" not in listed
