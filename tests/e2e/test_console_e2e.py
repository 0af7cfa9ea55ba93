"""An operator's call, end to end in a browser: sign in, the seat rings and the screen-pop
shows the caller, the call is answered and the ticket becomes theirs, they classify and resolve
it in the form, and the database has it. Then the supervisor's live view, and the engine
stopping promptly with both pages open.

The whole engine runs (instance ``e2etest``), without an Asterisk: the ACD's AMI events are
handed to the engine's seat picture as its AMI client would, so the pop takes the product's own
path from the picture through the bus to the console. ``test_console_sip_e2e.py`` does the same
with a real Asterisk, a SIP caller and a SIP seat phone.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, expect

from acd.state import AcdPicture
from centralino.app.engine import Engine
from centralino.core.calls.service import record_call_started
from centralino.core.db import run_write
from cti.callbacks.models import CallbackReason
from cti.callbacks.service import CallbackRequest, CallbackService
from cti.callbacks.store import get_callback
from cti.tickets.contacts import add_contact
from cti.tickets.store import IvrTrace, get_ticket, open_ticket_for_call, save_ivr_trace
from cti.tickets.tracking import format_for_display
from cti.tickets.workflow import history

from .engine_site import BASE, RunningEngine, sign_in

CALLER = "3391234567"
LINKEDID = "1795582531.30"


async def _call_with_ticket(engine: Engine) -> str:
    """A caller known by phone, who called before, now queued after keys 1 and 2."""
    now = datetime.now(UTC)
    async with engine.sessions() as session:
        await add_contact(session, "Maria Rossi", phone=CALLER)
        await run_write(session, record_call_started, "earlier", channel="PJSIP/trunk-1",
                        did="800100100", at=now - timedelta(days=2), caller_id=CALLER)
        await open_ticket_for_call(session, "earlier")
        await run_write(session, record_call_started, LINKEDID, channel="PJSIP/trunk-2",
                        did="800100100", at=now - timedelta(seconds=50), caller_id=CALLER)
        ticket = await open_ticket_for_call(session, LINKEDID)
        await run_write(session, save_ivr_trace, LINKEDID, IvrTrace(
            dtmf_path="12", ivr_outcome="queued", classification="seismic", language="it",
            contact_id=None, ivr_nodes=[
                {"node": "main", "at": (now - timedelta(seconds=45)).isoformat()},
                {"node": "seismic", "at": (now - timedelta(seconds=38)).isoformat()}]))
        return ticket.tracking_code


def _ami(event: str, **fields: Any) -> dict[str, str]:
    """An AMI event as the ACD reads it, stamped now."""
    return {"Event": event, "Timestamp": f"{time.time():.6f}", "Queue": "operators",
            **{key: str(value) for key, value in fields.items()}}


def _member(status: int, in_call: int = 0) -> dict[str, str]:
    return _ami("QueueMemberStatus", MemberName="anna", Interface="PJSIP/seat1",
                StateInterface="PJSIP/seat1", Membership="dynamic", Penalty=0, CallsTaken=0,
                LastCall=0, LastPause=0, LoginTime=int(time.time()) - 600, InCall=in_call,
                Status=status, Paused=0, PausedReason="", Ringinuse=0, Wrapuptime=0)


CALLER_FIELDS = {"Channel": "Local/s@acd-queue-0000000b;2", "CallerIDNum": CALLER,
                 "CallerIDName": "<unknown>", "Uniqueid": "1795582531.31",
                 "Linkedid": LINKEDID}


async def test_an_operator_gets_the_pop_answers_and_resolves_the_ticket(
    running: RunningEngine, browser: Browser, artifacts: Path,
) -> None:
    engine = running.engine
    passwords = await running.add_users()
    code = await _call_with_ticket(engine)
    acd = engine.service(AcdPicture)
    member = _member(status=1)
    acd.handle({**member, "Event": "QueueMemberAdded"})  # anna is logged in at seat1
    acd.handle(_ami("QueueCallerJoin", **CALLER_FIELDS, Position=1, Count=1))

    context = await browser.new_context(viewport={"width": 1366, "height": 1000},
                                        locale="it-IT", timezone_id="Europe/Rome")
    page = await context.new_page()
    await sign_in(page, "anna", passwords["anna"])
    await expect(page).to_have_url(f"{BASE}/console")
    await expect(page.locator("#link-state")).to_have_text("Collegato")
    await expect(page.locator("#seat-title + .seat-state")).to_contain_text("seat1")

    # The queue rings seat1: the pop shows who calls, how they came, and who they are.
    acd.handle(_ami("AgentCalled", **CALLER_FIELDS, Interface="PJSIP/seat1", MemberName="anna"))
    acd.handle(_member(status=6))  # ringing
    await expect(page.locator("#pop-caller")).to_have_text(CALLER)
    await expect(page.locator("#pop-contact")).to_contain_text("Maria Rossi")
    await expect(page.locator("#pop-ticket")).to_have_text(format_for_display(code))
    await expect(page.locator("#pop-keys kbd")).to_have_text(["1", "2"])
    await expect(page.locator("#pop")).to_contain_text("Rischio sismico")
    await expect(page.locator("#ticket-code")).to_have_text(format_for_display(code))

    # Anna answers: the ticket becomes hers.
    acd.handle(_ami("AgentConnect", **CALLER_FIELDS, Interface="PJSIP/seat1",
                    MemberName="anna", HoldTime=14))
    acd.handle(_ami("QueueCallerLeave", **CALLER_FIELDS, Position=1, Count=0))
    acd.handle(_member(status=2, in_call=1))
    await expect(page.locator("#pop-state")).to_have_text("In conversazione")
    await expect(page.locator("#ticket-status")).to_have_text("Assegnata")

    await page.get_by_label("Classificazione").select_option("seismic.damage")
    await page.get_by_label("Nuova nota").fill("Crepa nel muro portante, edificio abitato.")
    await page.get_by_label("Richiamare il cittadino").check()
    await page.get_by_label("Soluzione").fill("Segnalato al tecnico comunale di turno.")
    await page.screenshot(path=artifacts / "console_pop.png", full_page=True)
    await page.get_by_role("button", name="Salva e risolvi").click()

    await expect(page.locator(".flash")).to_contain_text(
        f"Pratica {format_for_display(code)}: classificata, nota aggiunta, richiamata "
        "richiesta, risolta.")
    await expect(page.locator("#ticket-status")).to_have_text("Risolta")
    await page.screenshot(path=artifacts / "console_saved.png", full_page=True)

    async with engine.sessions() as session:
        ticket = await get_ticket(session, code)
        changes = await history(session, code)
    assert ticket is not None
    assert (ticket.status, ticket.assigned_to, ticket.classification) == (
        "resolved", "anna", "seismic.damage")
    assert ticket.notes == "Crepa nel muro portante, edificio abitato."
    assert ticket.resolution == "Segnalato al tecnico comunale di turno."
    assert ticket.callback_requested is True
    assert [(c.kind, c.actor) for c in changes] == [
        ("status", "system"), ("assignment", "system"), ("classification", "anna"),
        ("note", "anna"), ("callback", "anna"), ("status", "anna")]

    # The supervisor's live view: anna in a call, one answered within the service level.
    acd.handle(_ami("QueueCallerJoin", **{**CALLER_FIELDS, "Uniqueid": "2.2", "Linkedid": "2.1",
                                          "CallerIDNum": "0612345678"}, Position=1, Count=1))
    supervisor = await browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="it-IT", timezone_id="Europe/Rome")
    live = await supervisor.new_page()
    await sign_in(live, "sara", passwords["sara"])
    await expect(live).to_have_url(f"{BASE}/supervisor")
    await expect(live.locator("#seats tr").first).to_contain_text("anna")
    await expect(live.locator("#seats tr").first).to_contain_text("In chiamata")
    await expect(live.locator("#waiting tr")).to_have_count(1)
    await expect(live.locator("#kpi-answered")).to_have_text("1")
    await expect(live.locator("#kpi-sl")).to_have_text("100%")
    await expect(live.locator("#hourly-chart")).to_be_visible()
    await expect(live.locator("#live-state")).to_have_text("Aggiornato in tempo reale.")
    await live.screenshot(path=artifacts / "supervisor.png", full_page=True)

    # The engine stops promptly with the console and the live view still open.
    await running.stop(timeout=10)
    await supervisor.close()
    await context.close()


async def test_the_callback_list_follows_every_change_without_a_reload(
    running: RunningEngine, browser: Browser, artifacts: Path,
) -> None:
    engine = running.engine
    passwords = await running.add_users()
    context = await browser.new_context(viewport={"width": 1366, "height": 900},
                                        locale="it-IT", timezone_id="Europe/Rome")
    page = await context.new_page()
    await sign_in(page, "anna", passwords["anna"])
    await expect(page.locator("#link-state")).to_have_text("Collegato")
    callbacks = page.locator("#callbacks")
    await expect(callbacks).to_contain_text("Nessuna richiamata da fare.")

    # A caller the center missed: the task appears on the open page.
    service = engine.service(CallbackService)
    missed = await service.request(CallbackRequest(CALLER, CallbackReason.MISSED, "missed.1"))
    assert missed is not None
    await expect(callbacks.locator(f'[data-callback="{missed.id}"]')).to_contain_text(
        missed.caller)
    await page.screenshot(path=artifacts / "console_callbacks.png", full_page=True)

    # Anna closes it by hand (the caller wrote in): the page says so, the list is empty.
    await callbacks.locator(f'[data-callback="{missed.id}"]').get_by_role(
        "button", name="Chiudi").click()
    await expect(page.locator(".flash")).to_contain_text(f"Richiamata di {missed.caller} chiusa.")
    await expect(callbacks).to_contain_text("Nessuna richiamata da fare.")

    # A colleague closes another one elsewhere: it leaves anna's list without a reload.
    other = await service.request(CallbackRequest("0612345678", CallbackReason.MISSED,
                                                  "missed.2"))
    assert other is not None
    await expect(callbacks.locator(f'[data-callback="{other.id}"]')).to_be_visible()
    await service.close(other.id, "sara")
    await expect(callbacks.locator(f'[data-callback="{other.id}"]')).to_have_count(0)
    await expect(callbacks).to_contain_text("Nessuna richiamata da fare.")
    async with engine.sessions() as session:
        closed = [await get_callback(session, task.id) for task in (missed, other)]
    assert [(task.status, task.assigned_to) for task in closed if task] == [
        ("closed", "anna"), ("closed", "sara")]
    await context.close()
