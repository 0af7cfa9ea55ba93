"""The campaign manager's pages and the JSON API on the real web app and a real database: a
campaign made from an uploaded file (its problems shown with their lines), a list uploaded
and its error report, start/pause/resume/stop, the live numbers, results as JSON, CSV and
XLSX, the do-not-call list; signed-in campaign managers and admins only, CSRF on every form.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest_asyncio
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.auth.models import Role
from centralino.core.web import create_web_app
from config.loader import ConfigError, ConfigProblem
from outbound.desk import CampaignDesk
from outbound.http import campaigns_api
from outbound.models import CampaignContact
from outbound.pages import campaign_pages
from outbound.rules import Budget
from outbound.store import AttemptReport, claim_attempts, finish_attempt
from outbound.terms import Disposition
from tests.unit.cti.site import (
    HTML,
    KEY,
    WEB_SETTINGS,
    _healthy,
    add_users,
    client_for,
    csrf,
    sign_in,
)

from .campaigns import NOW

Sessions = async_sessionmaker[AsyncSession]
A, B = "+393331234567", "+393337654321"
CAMPAIGN = b"version: 1\nname: Guasti\nscript: fault_check\n"
LIST = b"phone,amount\n333 123 4567,10\n3337654321,12\n+393331234567,10\n"


@dataclass
class Resolver:
    """Scripts by name: ``fault_check`` and ``survey``, unless broken."""

    broken: set[str] = field(default_factory=set)

    def __call__(self, script: str, base: Path) -> str:
        if script not in {"fault_check", "survey"} - self.broken:
            raise ConfigError([ConfigProblem("", "", None, f"no script {script!r}")])
        return script


@dataclass
class CampaignSite:
    app: FastAPI
    sessions: Sessions
    passwords: dict[str, str]
    resolver: Resolver


@dataclass
class Signed:
    """A client signed in, with the session's CSRF token."""

    client: httpx.AsyncClient
    token: str

    async def post_file(self, url: str, name: str, content: bytes,
                        token: bool = True) -> httpx.Response:
        return await self.client.post(url, files={"file": (name, content)},
                                      data={"csrf_token": self.token} if token else {},
                                      headers=HTML)

    async def api(self, method: str, url: str, json: object = None) -> httpx.Response:
        return await self.client.request(method, url, headers={"X-CSRF-Token": self.token},
                                         json=json)


@pytest_asyncio.fixture
async def site(sqlite_sessions: Sessions) -> CampaignSite:
    resolver = Resolver()
    desk = CampaignDesk(sqlite_sessions, resolver, lambda: NOW)
    routers = [campaigns_api(desk), campaign_pages(desk, lambda: "Europe/Rome")]
    app = create_web_app(_healthy, routers, session_key=KEY, sessions=sqlite_sessions,
                         web=WEB_SETTINGS)
    passwords = await add_users(sqlite_sessions, maria=Role.CAMPAIGN_MANAGER, root=Role.ADMIN,
                                alice=Role.OPERATOR, sara=Role.SUPERVISOR)
    return CampaignSite(app, sqlite_sessions, passwords, resolver)


@pytest_asyncio.fixture
async def maria(site: CampaignSite) -> AsyncIterator[Signed]:
    async with signed_in(site, "maria") as signed:
        yield signed


@contextlib.asynccontextmanager
async def signed_in(site: CampaignSite, name: str) -> AsyncIterator[Signed]:
    async with client_for(site.app) as client:
        yield Signed(client, await sign_in(client, name, site.passwords[name]))


async def created(maria: Signed) -> int:
    response = await maria.post_file("/api/campaigns", "guasti.yaml", CAMPAIGN)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


# -- who may ------------------------------------------------------------------------------------


async def test_operators_and_supervisors_get_403_and_strangers_sign_in_first(
    site: CampaignSite,
) -> None:
    for name in ("alice", "sara"):
        async with signed_in(site, name) as other:
            for url in ("/campaigns", "/campaigns/dnc", "/api/campaigns", "/api/dnc"):
                assert (await other.client.get(url)).status_code == 403, (name, url)
            refused = await other.post_file("/api/campaigns", "x.yaml", CAMPAIGN)
            assert refused.status_code == 403
    async with client_for(site.app) as stranger:
        assert (await stranger.get("/api/campaigns")).status_code == 401
        page = await stranger.get("/campaigns", headers=HTML)
        assert (page.status_code, page.headers["location"]) == (303, "/login")


async def test_an_admin_opens_the_pages_too(site: CampaignSite) -> None:
    async with signed_in(site, "root") as root:
        page = await root.client.get("/campaigns", headers=HTML)
    assert page.status_code == 200 and 'href="/campaigns/dnc"' in page.text


async def test_the_campaign_manager_lands_on_the_campaigns(site: CampaignSite) -> None:
    async with client_for(site.app) as client:
        login = await client.get("/login")
        response = await client.post("/login", data={
            "name": "maria", "password": site.passwords["maria"],
            "csrf_token": csrf(login.text)})
    assert response.headers["location"] == "/campaigns"


# -- pages --------------------------------------------------------------------------------------


async def test_a_campaign_is_created_from_an_uploaded_file(maria: Signed) -> None:
    response = await maria.post_file("/campaigns", "guasti.yaml", CAMPAIGN)
    assert (response.status_code, response.headers["location"]) == (303, "/campaigns/1")
    page = (await maria.client.get("/campaigns/1", headers=HTML)).text
    assert "Campagna «Guasti» creata" in page
    assert 'action="/campaigns/1/start"' in page and 'action="/campaigns/1/stop"' in page
    assert 'action="/campaigns/1/pause"' not in page
    listing = (await maria.client.get("/campaigns", headers=HTML)).text
    assert 'data-campaign="1"' in listing and "Bozza" in listing


async def test_a_form_without_the_csrf_token_is_refused(maria: Signed) -> None:
    response = await maria.post_file("/campaigns", "guasti.yaml", CAMPAIGN, token=False)
    assert response.status_code == 403
    assert (await maria.client.get("/api/campaigns")).json() == []


async def test_a_bad_file_shows_its_problems_with_the_uploads_name_and_lines(
    maria: Signed,
) -> None:
    response = await maria.post_file("/campaigns", "mine.yaml",
                                     b"version: 1\nname: x\nscript: nowhere\nring_seconds: 3\n")
    assert response.status_code == 422
    assert "mine.yaml:4: ring_seconds: Input should be greater than or equal to 15" in \
        response.text
    assert "centralino-upload" not in response.text  # not the temporary file's path
    wrong = await maria.post_file("/campaigns", "mine.txt", CAMPAIGN)
    assert wrong.status_code == 422 and "expected a file ending in .yaml or .yml" in wrong.text


async def test_an_unknown_script_is_named_on_the_page(maria: Signed) -> None:
    response = await maria.post_file("/campaigns", "c.yaml",
                                     b"version: 1\nname: x\nscript: nowhere\n")
    assert response.status_code == 422
    assert "c.yaml:3: script: no script &#39;nowhere&#39;" in response.text


async def test_a_list_with_a_bad_row_shows_its_error_report_and_imports_nothing(
    maria: Signed,
) -> None:
    campaign_id = await created(maria)
    response = await maria.post_file(f"/campaigns/{campaign_id}/contacts", "list.csv",
                                     b"phone,language\n3331234567,it\n33,it\n3337654321,de\n")
    assert response.status_code == 422
    assert "line 3, column phone: not a phone number: &#39;33&#39;" in response.text
    assert "line 4, column language: &#39;de&#39; is not one of the script" in response.text
    assert (await maria.client.get(f"/api/campaigns/{campaign_id}")).json()["contacts"] == 0
    good = await maria.post_file(f"/campaigns/{campaign_id}/contacts", "list.csv", LIST)
    assert good.status_code == 303
    page = (await maria.client.get(f"/campaigns/{campaign_id}", headers=HTML)).text
    assert "2 contatti importati, 1 uniti." in page and A in page


async def test_start_pause_and_a_refused_move_from_the_buttons(maria: Signed,
                                                              site: CampaignSite) -> None:
    campaign_id = await created(maria)
    started = await maria.client.post(f"/campaigns/{campaign_id}/start",
                                      data={"csrf_token": maria.token})
    assert started.status_code == 303
    page = (await maria.client.get(f"/campaigns/{campaign_id}", headers=HTML)).text
    assert "Campagna «Guasti»: In corso." in page
    assert f'action="/campaigns/{campaign_id}/pause"' in page
    again = await maria.client.post(f"/campaigns/{campaign_id}/start",
                                    data={"csrf_token": maria.token}, headers=HTML)
    assert again.status_code == 409 and "cannot start it" in again.text


async def test_the_pages_show_the_live_numbers(maria: Signed, site: CampaignSite) -> None:
    campaign_id = await started_with_calls(maria, site)
    page = (await maria.client.get("/campaigns", headers=HTML)).text
    row = page[page.index(f'data-campaign="{campaign_id}"'):]
    for field_name, value in (("dialled", 2), ("answered", 1), ("busy", 1), ("remaining", 1),
                              ("machine", 0)):
        assert f'data-field="{field_name}">{value}<' in row, field_name
    assert 'data-field="outcomes">works 1<' in row
    assert '<progress class="bar" data-field="bar" max="2" value="1">' in row
    detail = (await maria.client.get(f"/campaigns/{campaign_id}", headers=HTML)).text
    assert "tasti 1" in detail and f'href="/api/campaigns/{campaign_id}/results.xlsx"' in detail


async def test_an_unknown_campaign_page_is_404(maria: Signed) -> None:
    response = await maria.client.get("/campaigns/42", headers=HTML)
    assert response.status_code == 404 and "no campaign 42" in response.text


# -- API ----------------------------------------------------------------------------------------


async def started_with_calls(maria: Signed, site: CampaignSite) -> int:
    """A running campaign of A and B: A answered and pressed 1 (``works``), B busy."""
    campaign_id = await created(maria)
    imported = await maria.post_file(f"/api/campaigns/{campaign_id}/contacts", "l.csv", LIST)
    assert imported.json() == {"imported": 2, "merged": 1, "errors": []}
    assert (await maria.api("POST", f"/api/campaigns/{campaign_id}/start")).status_code == 200
    async with site.sessions() as session:
        claims = {c.phone: c.attempt_id for c in await claim_attempts(
            session, campaign_id, engine="e1", now=NOW, limit=5, budget=Budget())}
        await finish_attempt(session, claims[A], AttemptReport(
            Disposition.HUMAN, amd_status="HUMAN", keys="1", outcome="works",
            survey={"courtesy": 5}), now=NOW)
        await finish_attempt(session, claims[B], AttemptReport(Disposition.BUSY), now=NOW)
    return campaign_id


async def test_the_api_creates_imports_and_moves_a_campaign(maria: Signed) -> None:
    campaign_id = await created(maria)
    bad = await maria.post_file(f"/api/campaigns/{campaign_id}/contacts", "l.csv",
                                b"phone\n12\n")
    assert bad.status_code == 422
    assert bad.json() == {"detail": "the list has errors: nothing was imported",
                          "errors": ["line 2, column phone: not a phone number: '12'"]}
    states = []
    for action in ("start", "pause", "resume", "stop"):
        response = await maria.api("POST", f"/api/campaigns/{campaign_id}/{action}")
        states.append((response.status_code, response.json()["state"]))
    assert states == [(200, "running"), (200, "paused"), (200, "running"), (200, "stopped")]
    refused = await maria.api("POST", f"/api/campaigns/{campaign_id}/resume")
    assert refused.status_code == 409 and "cannot resume" in refused.json()["detail"]
    closed = await maria.post_file(f"/api/campaigns/{campaign_id}/contacts", "l.csv", LIST)
    assert closed.status_code == 409
    assert (await maria.api("POST", "/api/campaigns/77/start")).status_code == 404
    assert (await maria.api("POST", f"/api/campaigns/{campaign_id}/explode")).status_code == 422


async def test_contacts_added_to_a_running_campaign_expire_when_told(
    maria: Signed, site: CampaignSite,
) -> None:
    campaign_id = await started_with_calls(maria, site)
    added = await maria.post_file(f"/api/campaigns/{campaign_id}/contacts?expire_days=3",
                                  "l.csv", b"phone,amount\n3331112222,5\n")
    assert added.json() == {"imported": 1, "merged": 0, "errors": []}
    async with site.sessions() as session:
        expiry = await session.scalar(select(CampaignContact.expires_at).where(
            CampaignContact.phone == "+393331112222"))
    assert expiry is not None and expiry.replace(tzinfo=NOW.tzinfo) == NOW + timedelta(days=3)
    too_long = await maria.post_file(f"/api/campaigns/{campaign_id}/contacts?expire_days=999",
                                     "l.csv", b"phone,amount\n3331113333,5\n")
    assert too_long.status_code == 422


async def test_the_api_refuses_to_start_a_campaign_whose_script_broke(
    maria: Signed, site: CampaignSite,
) -> None:
    campaign_id = await created(maria)
    site.resolver.broken.add("fault_check")
    response = await maria.api("POST", f"/api/campaigns/{campaign_id}/start")
    assert response.status_code == 409
    assert response.json()["errors"] == ["fault_check: (top level): no script 'fault_check'"]
    assert (await maria.client.get(f"/api/campaigns/{campaign_id}")).json()["state"] == "draft"


async def test_the_api_status_results_and_exports(maria: Signed, site: CampaignSite) -> None:
    campaign_id = await started_with_calls(maria, site)
    status = (await maria.client.get(f"/api/campaigns/{campaign_id}")).json()
    assert {k: status[k] for k in ("id", "name", "state", "contacts", "attempts", "answered",
                                   "completed", "remaining", "outcomes")} == {
        "id": campaign_id, "name": "Guasti", "state": "running", "contacts": 2,
        "attempts": 2, "answered": 1, "completed": 1, "remaining": 1,
        "outcomes": {"works": 1}}
    assert status["started_at"] == NOW.isoformat()
    results = (await maria.client.get(f"/api/campaigns/{campaign_id}/results")).json()
    assert [(r["phone"], r["status"], [a["disposition"] for a in r["attempts"]])
            for r in results] == [(A, "done", ["human"]), (B, "pending", ["busy"])]
    first = (await maria.client.get(f"/api/campaigns/{campaign_id}/results?limit=1")).json()
    assert [r["phone"] for r in first] == [A]

    csv_answer = await maria.client.get(f"/api/campaigns/{campaign_id}/results.csv")
    assert csv_answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(csv_answer.text)))
    assert [(r["phone"], r["outcome"], r["last_keys"], r["survey"]) for r in rows] == [
        (A, "works", "1", "courtesy=5"), (B, "", "", "")]

    xlsx_answer = await maria.client.get(f"/api/campaigns/{campaign_id}/results.xlsx")
    assert xlsx_answer.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx_answer.content), read_only=True).worksheets[0]
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [(row[0], row[3], row[6]) for row in cells[1:]] == [(A, "done", 1),
                                                                (B, "pending", 1)]
    missing = await maria.client.get("/api/campaigns/99/results.xlsx")
    assert missing.status_code == 404


async def test_the_api_marks_a_contact_paid(maria: Signed, site: CampaignSite) -> None:
    campaign_id = await started_with_calls(maria, site)
    marked = await maria.api("POST", f"/api/campaigns/{campaign_id}/mark",
                             json={"phone": "333 765 4321", "outcome": "paid"})
    assert marked.json() == {"phone": B, "status": "done", "outcome": "paid"}
    unknown = await maria.api("POST", f"/api/campaigns/{campaign_id}/mark",
                              json={"phone": "3330000000", "outcome": "paid"})
    assert unknown.status_code == 404
    bad = await maria.api("POST", f"/api/campaigns/{campaign_id}/mark",
                          json={"phone": "3330000000", "outcome": "=cmd()"})
    assert bad.status_code == 422


async def test_an_upload_over_the_body_limit_is_413(maria: Signed) -> None:
    huge = b"phone\n" + b"3331234567\n" * (WEB_SETTINGS.max_body_bytes // 11 + 10)
    response = await maria.post_file("/api/dnc/import", "big.csv", huge)
    assert response.status_code == 413


# -- do not call --------------------------------------------------------------------------------


async def test_the_dnc_api_adds_lists_imports_and_removes(maria: Signed) -> None:
    added = await maria.api("POST", "/api/dnc", json={"phone": "333 123 4567"})
    assert (added.status_code, added.json()) == (201, {"phone": A, "added": True})
    bad = await maria.api("POST", "/api/dnc", json={"phone": "12"})
    assert bad.status_code == 422 and bad.json()["detail"] == "not a phone number: '12'"
    imported = await maria.post_file("/api/dnc/import", "register.csv",
                                     b"phone\n3331234567\n3337654321\n")
    assert imported.json() == {"read": 2, "added": 1, "already": 1, "merged": 0, "errors": []}
    refused = await maria.post_file("/api/dnc/import", "register.csv", b"phone\nx\n")
    assert refused.status_code == 422 and refused.json()["errors"] == [
        "line 2, column phone: not a phone number: 'x'"]
    listed = (await maria.client.get("/api/dnc")).json()
    assert sorted((n["phone"], n["source"], n["added_by"]) for n in listed) == [
        (A, "api", "maria"), (B, "import", "maria")]
    assert (await maria.api("DELETE", f"/api/dnc/{A}")).json() == {"phone": A,
                                                                  "removed": True}
    assert (await maria.api("DELETE", f"/api/dnc/{A}")).status_code == 404
    assert [n["phone"] for n in (await maria.client.get("/api/dnc")).json()] == [B]


async def test_the_dnc_page_adds_and_removes_a_number(maria: Signed) -> None:
    added = await maria.client.post("/campaigns/dnc", data={"phone": "3331234567",
                                                            "csrf_token": maria.token})
    assert added.status_code == 303
    page = (await maria.client.get("/campaigns/dnc", headers=HTML)).text
    assert f"{A}: aggiunto." in page and 'action="/campaigns/dnc/remove"' in page
    bad = await maria.client.post("/campaigns/dnc", data={"phone": "12",
                                                          "csrf_token": maria.token})
    assert bad.status_code == 422 and "not a phone number" in bad.text
    uploaded = await maria.post_file("/campaigns/dnc/import", "r.csv", b"phone\n3337654321\n")
    assert uploaded.status_code == 303
    removed = await maria.client.post("/campaigns/dnc/remove", data={
        "phone": A, "csrf_token": maria.token})
    assert removed.status_code == 303
    after = (await maria.client.get("/campaigns/dnc", headers=HTML)).text
    assert f"{A}: tolto dalla lista." in after and f"<td>{B}</td>" in after
    assert f"<td>{A}</td>" not in after
