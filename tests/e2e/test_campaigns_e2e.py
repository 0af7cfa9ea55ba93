"""A campaign manager's campaign, end to end in a browser: sign in and land on the campaigns,
upload the campaign file and its list (a bad list first: its error report), start it, and
watch the progress change on the page, without a reload, as attempts end.

The whole engine runs (instance ``e2etest``) without an Asterisk: the attempts are claimed and
finished through the store, as the dialer and the call script do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import Browser, expect

from centralino.core.auth.models import Role
from centralino.core.auth.service import add_user
from outbound.rules import Budget
from outbound.store import AttemptReport, claim_attempts, finish_attempt
from outbound.terms import Disposition

from .engine_site import BASE, RunningEngine, sign_in

A, B = "+393331234567", "+393337654321"


async def test_a_manager_uploads_starts_and_watches_a_campaign(
    running: RunningEngine, browser: Browser, tmp_path: Path, artifacts: Path,
) -> None:
    async with running.engine.sessions() as session:
        _, password = await add_user(session, "maria", Role.CAMPAIGN_MANAGER)
    campaign = tmp_path / "guasti.yaml"
    campaign.write_text("version: 1\nname: Guasti risolti\nscript: fault_check\n",
                        encoding="utf-8")
    bad_list = tmp_path / "bad.csv"
    bad_list.write_text("phone,amount\n3331234567,10\n12,3\n", encoding="utf-8")
    good_list = tmp_path / "clienti.csv"
    good_list.write_text(f"phone,amount\n333 123 4567,10\n{B},12\n", encoding="utf-8")

    context = await browser.new_context()
    page = await context.new_page()
    await sign_in(page, "maria", password)
    await expect(page).to_have_url(f"{BASE}/campaigns")
    await page.locator("#campaign-file").set_input_files(campaign)
    await page.get_by_role("button", name="Crea").click()
    await expect(page).to_have_url(f"{BASE}/campaigns/1")
    await expect(page.locator(".flash")).to_contain_text("Campagna «Guasti risolti» creata")

    await page.locator("#list-file").set_input_files(bad_list)
    await page.get_by_role("button", name="Importa").click()
    await expect(page.get_by_role("alert")).to_contain_text(
        "line 3, column phone: not a phone number: '12'")
    await page.goto(f"{BASE}/campaigns/1")
    await page.locator("#list-file").set_input_files(good_list)
    await page.get_by_role("button", name="Importa").click()
    await expect(page.locator(".flash")).to_contain_text("2 contatti importati")
    await page.get_by_role("button", name="Avvia").click()
    await expect(page.locator(".flash")).to_contain_text("In corso")

    row = page.locator('tr[data-campaign="1"]')
    await expect(row.locator('[data-field="dialled"]')).to_have_text("0")
    async with running.engine.sessions() as session:  # the dialer and the script's part
        now = datetime.now(UTC)
        claims = {c.phone: c.attempt_id for c in await claim_attempts(
            session, 1, engine="e2e", now=now, limit=5, budget=Budget())}
        await finish_attempt(session, claims[A], AttemptReport(
            Disposition.HUMAN, amd_status="HUMAN", keys="1", outcome="works"), now=now)
        await finish_attempt(session, claims[B], AttemptReport(Disposition.BUSY), now=now)
    await expect(row.locator('[data-field="dialled"]')).to_have_text("2")
    await expect(row.locator('[data-field="answered"]')).to_have_text("1")
    await expect(row.locator('[data-field="busy"]')).to_have_text("1")
    await expect(row.locator('[data-field="outcomes"]')).to_have_text("works 1")
    await expect(row.locator('[data-field="remaining"]')).to_have_text("1")
    await expect(page.locator("#live-state")).to_contain_text("Aggiornato")
    await page.screenshot(path=artifacts / "campaign_progress.png", full_page=True)

    await page.goto(f"{BASE}/campaigns")
    listed = page.locator('tr[data-campaign="1"]')
    await expect(listed).to_contain_text("Guasti risolti")
    await expect(listed.locator('[data-field="state"]')).to_have_text("In corso")
    await expect(listed.locator('[data-field="bar"]')).to_have_attribute("value", "1")
    await context.close()
