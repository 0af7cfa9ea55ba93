"""``/api/hours``: the center's state, and the manual override.

Reading needs a signed-in user; the override needs the ``hours_override`` permission and the
session's CSRF token, and who set it is the signed-in user (a ``by`` in the body, or the old
``X-Centralino-User`` header, is ignored).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError

from centralino.core.auth.models import Permission, User
from centralino.core.auth.web import current_user
from centralino.core.hours.service import MAX_REASON, MAX_SET_BY, HoursService, InvalidOverride

log = structlog.get_logger(__name__)


class OverrideRequest(BaseModel):
    """Force the center ``open`` or ``closed`` (with a reason), or back to ``auto``."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["open", "closed", "auto"]
    reason: str | None = Field(default=None, max_length=MAX_REASON)
    by: str | None = Field(default=None, max_length=MAX_SET_BY)  # ignored: the signed-in user


def hours_router(service: HoursService) -> APIRouter:
    router = APIRouter(prefix="/api/hours", tags=["hours"])

    @router.get("")
    async def get_hours() -> dict[str, Any]:
        """The state now: ``state``, ``reason``, ``override`` (or null) and ``clock_state``."""
        return service.status_json()

    @router.post("/override")
    async def post_override(
        body: OverrideRequest,
        user: Annotated[User, Depends(current_user(Permission.HOURS_OVERRIDE))],
    ) -> dict[str, Any]:
        """Set the override as the signed-in user; answers the new state. ``closed`` needs a
        ``reason`` (else 422)."""
        try:
            await service.set_override(body.mode, body.reason, user.name)
        except InvalidOverride as exc:
            raise HTTPException(422, detail=str(exc)) from None
        except (SQLAlchemyError, OSError) as exc:
            log.error("hours.override_not_stored", error=str(exc))
            raise HTTPException(503, detail="the database is unavailable; try again") from None
        return service.status_json()

    return router
