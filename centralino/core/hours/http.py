"""``/api/hours``: the center's state, and the manual override.

No user accounts yet: like the rest of the web app this is bound to 127.0.0.1. Who set an
override is the body's ``by``, else the ``X-Centralino-User`` header, else ``web``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Header, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError

from centralino.core.hours.service import MAX_REASON, MAX_SET_BY, HoursService, InvalidOverride

log = structlog.get_logger(__name__)


class OverrideRequest(BaseModel):
    """Force the center ``open`` or ``closed`` (with a reason), or back to ``auto``."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["open", "closed", "auto"]
    reason: str | None = Field(default=None, max_length=MAX_REASON)
    by: str | None = Field(default=None, max_length=MAX_SET_BY)


def hours_router(service: HoursService) -> APIRouter:
    router = APIRouter(prefix="/api/hours", tags=["hours"])

    @router.get("")
    async def get_hours() -> dict[str, Any]:
        """The state now: ``state``, ``reason``, ``override`` (or null) and ``clock_state``."""
        return service.status_json()

    @router.post("/override")
    async def post_override(
        body: OverrideRequest,
        user: Annotated[str | None, Header(alias="X-Centralino-User")] = None,
    ) -> dict[str, Any]:
        """Set the override; answers the new state. ``closed`` needs a ``reason`` (else 422)."""
        try:
            await service.set_override(body.mode, body.reason, body.by or user or "web")
        except InvalidOverride as exc:
            raise HTTPException(422, detail=str(exc)) from None
        except (SQLAlchemyError, OSError) as exc:
            log.error("hours.override_not_stored", error=str(exc))
            raise HTTPException(503, detail="the database is unavailable; try again") from None
        return service.status_json()

    return router
