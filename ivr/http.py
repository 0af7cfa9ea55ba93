"""``POST /api/ivr/reload``: load the menu file again (what ``centralino reload`` calls)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from config.loader import ConfigError
from ivr.plan import MenuPlan


def plan_summary(plan: MenuPlan) -> dict[str, Any]:
    return {"file": str(plan.source), "nodes": len(plan.menu.nodes),
            "languages": plan.menu.languages, "loaded_at": plan.loaded_at.isoformat()}


def reload_router(reload: Callable[[], Awaitable[MenuPlan]]) -> APIRouter:
    router = APIRouter()

    @router.post("/api/ivr/reload")
    async def post_reload() -> JSONResponse:
        """200 with the new menu's summary; 422 with the problems (the old menu stays)."""
        try:
            plan = await reload()
        except ConfigError as exc:
            return JSONResponse({"reloaded": False, "errors": [str(p) for p in exc.problems]},
                                status_code=422)
        return JSONResponse({"reloaded": True, **plan_summary(plan)})

    return router
