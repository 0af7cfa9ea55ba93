"""The campaign manager's pages (the ``campaigns`` permission: campaign managers, admins):

- ``GET /campaigns``: every campaign with its live progress (the page fetches
  ``/api/campaigns`` every few seconds), and the form creating one from an uploaded file;
  ``POST /campaigns`` creates it (its problems shown with their lines);
- ``GET /campaigns/{id}``: its progress, the start/pause/resume/stop buttons
  (``POST /campaigns/{id}/{action}``), the list upload (``POST /campaigns/{id}/contacts``,
  its error report shown) and the first results, with CSV and XLSX downloads;
- ``GET /campaigns/dnc``: the do-not-call list; ``POST /campaigns/dnc`` adds a number,
  ``POST /campaigns/dnc/remove`` takes one off, ``POST /campaigns/dnc/import`` loads a file.

Forms carry the session's CSRF token; every change answers with a redirect (303) and a
message, or the page again with what is wrong (422, 404, 409).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from centralino.core.path_params import RowId
from cti.pages import new_nonce, page_headers, templates
from outbound.desk import REFUSED, CampaignDesk, refusal
from outbound.http import Action, Manager, Upload
from outbound.terms import CampaignState

TEMPLATES = Path(__file__).with_name("templates")
REFRESH_SECONDS = 3
RESULTS_SHOWN = 100
DNC_SHOWN = 200
_FLASH = "campaigns_flash"
STATE_NAMES = {"draft": "Bozza", "running": "In corso", "paused": "In pausa",
               "stopped": "Fermata", "finished": "Conclusa"}
ACTION_NAMES = {"start": "Avvia", "pause": "Sospendi", "resume": "Riprendi", "stop": "Ferma"}
ACTIONS_BY_STATE: dict[str, tuple[str, ...]] = {
    CampaignState.DRAFT: ("start", "stop"), CampaignState.RUNNING: ("pause", "stop"),
    CampaignState.PAUSED: ("resume", "stop")}


def campaign_pages(desk: CampaignDesk, timezone: Callable[[], str]) -> APIRouter:
    """The pages of the module docstring; times shown in ``timezone()``."""
    router = APIRouter(tags=["campaigns"], include_in_schema=False)
    pages = templates(timezone, TEMPLATES)

    def render(request: Request, user: Any, name: str, context: dict[str, Any],
               status_code: int = 200) -> Response:
        nonce = new_nonce()
        return pages.TemplateResponse(request, f"campaigns/{name}.html.j2", {
            "user": user, "nonce": nonce, "state_names": STATE_NAMES,
            "action_names": ACTION_NAMES, "flash": request.session.pop(_FLASH, None),
            "client": {"timezone": timezone(), "refreshSeconds": REFRESH_SECONDS,
                       "states": STATE_NAMES},
            **context}, status_code=status_code, headers=page_headers(nonce))

    async def list_page(request: Request, user: Any, problems: list[str] | None = None,
                        status_code: int = 200) -> Response:
        return render(request, user, "list", {"campaigns": await desk.statuses(),
                                              "problems": problems or []}, status_code)

    async def detail_page(request: Request, user: Any, campaign_id: int,
                          problems: list[str] | None = None,
                          status_code: int = 200) -> Response:
        try:
            status = await desk.status(campaign_id)
        except REFUSED as exc:
            refused = refusal(exc)
            return render(request, user, "missing", {"detail": refused.detail},
                          refused.status)
        return render(request, user, "detail", {
            "campaign": status, "actions": ACTIONS_BY_STATE.get(status["state"], ()),
            "results": await desk.results(campaign_id, RESULTS_SHOWN),
            "results_shown": RESULTS_SHOWN, "problems": problems or []}, status_code)

    @router.get("/campaigns", response_class=HTMLResponse)
    async def campaigns_page(request: Request, user: Manager) -> Response:
        return await list_page(request, user)

    @router.post("/campaigns")
    async def create(request: Request, user: Manager, file: Upload) -> Response:
        try:
            created = await desk.create(file, user)
        except REFUSED as exc:
            refused = refusal(exc)
            return await list_page(request, user, [refused.detail, *refused.errors],
                                   refused.status)
        _flash(request, f"Campagna «{created['name']}» creata: carica la lista, poi avviala.")
        return RedirectResponse(f"/campaigns/{created['id']}", status_code=303)

    @router.get("/campaigns/dnc", response_class=HTMLResponse)
    async def dnc_page(request: Request, user: Manager) -> Response:
        return await _dnc(request, user)

    async def _dnc(request: Request, user: Any, problems: list[str] | None = None,
                   status_code: int = 200) -> Response:
        return render(request, user, "dnc", {"numbers": await desk.dnc_numbers(DNC_SHOWN),
                                             "shown": DNC_SHOWN, "problems": problems or []},
                      status_code)

    @router.post("/campaigns/dnc")
    async def dnc_add(request: Request, user: Manager,
                      phone: Annotated[str, Form(max_length=40)] = "") -> Response:
        return await _dnc_change(request, user, desk.dnc_add(phone, user),
                                 lambda done: f"{done['phone']}: "
                                              + ("aggiunto." if done["added"] else
                                                 "era già nella lista."))

    @router.post("/campaigns/dnc/remove")
    async def dnc_remove(request: Request, user: Manager,
                         phone: Annotated[str, Form(max_length=40)] = "") -> Response:
        return await _dnc_change(request, user, desk.dnc_remove(phone),
                                 lambda done: f"{done['phone']}: tolto dalla lista.")

    @router.post("/campaigns/dnc/import")
    async def dnc_import(request: Request, user: Manager, file: Upload) -> Response:
        return await _dnc_change(request, user, desk.dnc_import(file, user),
                                 lambda done: f"{done['added']} numeri aggiunti, "
                                              f"{done['already']} già presenti.")

    async def _dnc_change(request: Request, user: Any, work: Awaitable[dict[str, Any]],
                          done: Callable[[dict[str, Any]], str]) -> Response:
        try:
            result = await work
        except REFUSED as exc:
            refused = refusal(exc)
            return await _dnc(request, user, [refused.detail, *refused.errors],
                              refused.status)
        _flash(request, done(result))
        return RedirectResponse("/campaigns/dnc", status_code=303)

    @router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
    async def campaign_page(request: Request, campaign_id: RowId, user: Manager) -> Response:
        return await detail_page(request, user, campaign_id)

    @router.post("/campaigns/{campaign_id}/contacts")
    async def import_contacts(request: Request, campaign_id: RowId, user: Manager,
                              file: Upload) -> Response:
        return await _campaign_change(
            request, user, campaign_id, desk.import_list(campaign_id, file),
            lambda counts: f"{counts['imported']} contatti importati, {counts['merged']} uniti.")

    @router.post("/campaigns/{campaign_id}/{action}")
    async def change(request: Request, campaign_id: RowId, action: Action,
                     user: Manager) -> Response:
        return await _campaign_change(
            request, user, campaign_id, desk.change(campaign_id, action),
            lambda status: f"Campagna «{status['name']}»: {STATE_NAMES[status['state']]}.")

    async def _campaign_change(request: Request, user: Any, campaign_id: int,
                               work: Awaitable[dict[str, Any]],
                               done: Callable[[dict[str, Any]], str]) -> Response:
        try:
            result = await work
        except REFUSED as exc:
            refused = refusal(exc)
            return await detail_page(request, user, campaign_id,
                                     [refused.detail, *refused.errors], refused.status)
        _flash(request, done(result))
        return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)

    return router


def _flash(request: Request, text: str) -> None:
    request.session[_FLASH] = text
