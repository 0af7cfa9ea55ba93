"""The public status page: a case's status by its tracking code, nothing personal, no guessing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.calls.service import record_call_started
from centralino.core.db import create_engine, run_write, session_factory, upgrade_database, utcnow
from centralino.core.rate_limit import RateLimiter
from cti.status.http import status_page_router
from cti.tickets.store import IvrTrace, open_ticket_for_call, save_ivr_trace
from cti.tickets.tracking import format_for_display
from cti.tickets.workflow import add_note, assign, history, request_second_level

CALLER = "3391234567"
NOTE = "Crepa nel muro della cucina della signora Rossi"
UNKNOWN = "123456786"  # a valid check digit, no such ticket
PERSONAL = (CALLER, NOTE, "Rossi", "anna.bianchi", "genio-civile", "seismic.damage")
Sessions = async_sessionmaker[AsyncSession]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Site:
    sessions: Sessions
    clock: FakeClock
    app: FastAPI

    def client(self, address: str = "198.51.100.7") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 50000))
        return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'status.db'}"
    await upgrade_database(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    clock = FakeClock()
    app = FastAPI()
    app.include_router(status_page_router(sessions, lookups_per_minute=5, clock=clock))
    try:
        yield Site(sessions, clock, app)
    finally:
        await engine.dispose()


async def worked_on_ticket(sessions: Sessions) -> str:
    """A ticket with everything personal a ticket can hold, waiting for the second level."""
    async with sessions() as session:
        await run_write(session, record_call_started, "1.1", channel="PJSIP/trunk-1",
                        did="800100100", at=utcnow(), caller_id=CALLER, caller_name="Maria Rossi")
        code = (await open_ticket_for_call(session, "1.1")).tracking_code
        await run_write(session, save_ivr_trace, "1.1", IvrTrace(
            dtmf_path="12", ivr_nodes=[], ivr_outcome="queued", classification="seismic.damage",
            language="it", contact_id=None))
        await assign(session, code, "anna.bianchi", "supervisor")
        await request_second_level(session, code, "genio-civile", "anna.bianchi", NOTE)
        await add_note(session, code, NOTE, "anna.bianchi")
    return code


def assert_nothing_personal(body: str) -> None:
    leaked = [item for item in PERSONAL if item in body]
    assert leaked == [], f"the public page shows {leaked}"


async def test_the_form_asks_for_the_code_in_italian_then_english_with_a_numeric_keypad(
    site: Site,
) -> None:
    async with site.client() as client:
        response = await client.get("/status")
    assert response.status_code == 200
    page = response.text
    assert '<html lang="it">' in page
    assert '<label for="code">Numero della pratica' in page and "Case number" in page
    assert page.index("Numero della pratica") < page.index("Case number")
    field = page[page.index('<input id="code"'):]
    field = field[:field.index(">")]
    assert 'inputmode="numeric"' in field and 'autocomplete="off"' in field
    assert 'aria-describedby="code-hint"' in field


async def test_a_known_code_shows_its_status_and_when_it_last_changed_as_json(
    site: Site,
) -> None:
    code = await worked_on_ticket(site.sessions)
    async with site.sessions() as session:
        status_changes = [e.at for e in await history(session, code) if e.kind == "status"]
    async with site.client() as client:
        response = await client.get(f"/api/status/{code}")
        english = await client.get(f"/api/status/{code}", params={"lang": "en"})
    assert response.status_code == 200
    assert response.json() == {
        "tracking_code": code, "status": "waiting_second_level",
        "status_label": "All'esame degli uffici competenti",
        "updated_at": status_changes[-1].isoformat(),  # the note afterwards does not count
    }
    assert english.json()["status_label"] == "With the competent office"
    assert_nothing_personal(response.text)


async def test_a_known_code_typed_with_spaces_shows_its_status_on_the_page_and_nothing_personal(
    site: Site,
) -> None:
    code = await worked_on_ticket(site.sessions)
    async with site.client() as client:
        response = await client.get("/status", params={"code": format_for_display(code)})
    assert response.status_code == 200
    assert "All&#39;esame degli uffici competenti" in response.text
    assert "With the competent office" in response.text
    assert format_for_display(code) in response.text
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert_nothing_personal(response.text)


async def test_a_ticket_never_changed_shows_its_creation_time(site: Site) -> None:
    async with site.sessions() as session:
        await run_write(session, record_call_started, "2.1", channel="PJSIP/trunk-1",
                        did="800100100", at=utcnow())
        ticket = await open_ticket_for_call(session, "2.1")
    async with site.client() as client:
        answer = (await client.get(f"/api/status/{ticket.tracking_code}")).json()
    assert answer["status"] == "new"
    assert datetime.fromisoformat(answer["updated_at"]) == ticket.created_at


async def test_an_unknown_code_is_a_404_saying_so(site: Site) -> None:
    async with site.client() as client:
        api = await client.get(f"/api/status/{UNKNOWN}")
        page = await client.get("/status", params={"code": UNKNOWN})
    assert api.status_code == 404
    assert api.json() == {"detail": "Nessuna pratica con il numero 123 456 786."}
    assert page.status_code == 404
    assert "Nessuna pratica con il numero 123 456 786." in page.text
    assert "No case with the number 123 456 786." in page.text


@pytest.mark.parametrize("keyed", ["12345", "123456768", "12345678a", "1234567860"])
async def test_a_malformed_or_mistyped_code_is_a_400(site: Site, keyed: str) -> None:
    async with site.client() as client:
        api = await client.get(f"/api/status/{keyed}", params={"lang": "en"})
        page = await client.get("/status", params={"code": keyed})
    assert api.status_code == 400
    assert "not a valid case number" in api.json()["detail"]
    assert page.status_code == 400 and "non è un numero di pratica valido" in page.text


async def test_what_was_typed_is_shown_back_escaped(site: Site) -> None:
    async with site.client() as client:
        page = await client.get("/status", params={"code": '"><script>alert(1)</script>'})
    assert page.status_code == 400
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text


async def test_too_many_lookups_from_one_address_are_refused_until_a_minute_has_passed(
    site: Site,
) -> None:
    code = await worked_on_ticket(site.sessions)
    async with site.client("203.0.113.9") as guesser, site.client() as citizen:
        answers = [(await guesser.get(f"/api/status/{UNKNOWN}")).status_code for _ in range(5)]
        refused = await guesser.get(f"/api/status/{code}")
        refused_page = await guesser.get("/status", params={"code": code})
        others = await citizen.get(f"/api/status/{code}")
        form = await guesser.get("/status")
        site.clock.now += 60
        later = await guesser.get(f"/api/status/{code}")
    assert answers == [404] * 5
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert refused_page.status_code == 429 and "Troppe richieste" in refused_page.text
    assert others.status_code == 200
    assert form.status_code == 200  # the empty form is not a lookup
    assert later.status_code == 200


def test_the_rate_limit_slides_and_forgets_idle_clients() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, 60, clock)
    assert [limiter.hit("a"), limiter.hit("a")] == [0, 0]
    clock.now += 30
    assert limiter.hit("a") == 30  # the first of the two expires in 30 s
    clock.now += 30
    assert [limiter.hit("a"), limiter.hit("a"), limiter.hit("a")] == [0, 0, 60]
    assert limiter.hit("b") == 0
    assert len(limiter) == 2
    clock.now += 60
    limiter.hit("c")
    assert len(limiter) == 1  # "a" and "b" were idle for a whole window
