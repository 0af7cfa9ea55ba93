"""``GET /api/seats``: the engine's picture of the seats, as ``seats status --json`` prints it.

For signed-in users with the ``seats`` permission (operators, supervisors, admins).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from acd.state import AcdPicture
from centralino.core.auth.models import Permission, User
from centralino.core.auth.web import current_user


def seats_router(picture: AcdPicture) -> APIRouter:
    router = APIRouter(prefix="/api/seats", tags=["acd"])

    @router.get("")
    async def get_seats(
        _user: Annotated[User, Depends(current_user(Permission.SEATS))],
    ) -> list[dict[str, Any]]:
        """Every seat: ``name``, ``interface``, ``registered``, ``operator``, ``state``,
        ``reason`` (of a pause) and ``since`` (ISO 8601, null when not known)."""
        return [seat.to_json() for seat in picture.seats()]

    return router
