"""``POST /api/ivr/reload``: load the menu file again (what ``centralino reload`` calls).

For a signed-in user with the ``ivr_reload`` permission (admins) and the session's CSRF token,
or for the CLI showing the engine's control token (``Authorization: Bearer``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from centralino.core.auth.access import CONTROL_TOKEN, token_access
from centralino.core.auth.models import Permission, User
from centralino.core.auth.web import user_or_token
from config.loader import ConfigError
from ivr.plan import MenuPlan


def plan_summary(plan: MenuPlan) -> dict[str, Any]:
    return {"file": str(plan.source), "nodes": len(plan.menu.nodes),
            "languages": plan.menu.languages, "loaded_at": plan.loaded_at.isoformat()}


def reload_router(reload: Callable[[], Awaitable[MenuPlan]]) -> APIRouter:
    router = APIRouter()

    @router.post("/api/ivr/reload")
    @token_access(CONTROL_TOKEN)
    async def post_reload(
        _by: Annotated[User | None,
                       Depends(user_or_token(Permission.IVR_RELOAD, token=CONTROL_TOKEN))],
    ) -> JSONResponse:
        """200 with the new menu's summary; 422 with the problems (the old menu stays)."""
        try:
            plan = await reload()
        except ConfigError as exc:
            return JSONResponse({"reloaded": False, "errors": [str(p) for p in exc.problems]},
                                status_code=422)
        return JSONResponse({"reloaded": True, **plan_summary(plan)})

    return router
