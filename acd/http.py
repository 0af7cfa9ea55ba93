"""``GET /api/seats``: the engine's picture of the seats, as ``seats status --json`` prints it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from acd.state import AcdPicture


def seats_router(picture: AcdPicture) -> APIRouter:
    router = APIRouter(prefix="/api/seats", tags=["acd"])

    @router.get("")
    async def get_seats() -> list[dict[str, Any]]:
        """Every seat: ``name``, ``interface``, ``registered``, ``operator``, ``state``,
        ``reason`` (of a pause) and ``since`` (ISO 8601, null when not known)."""
        return [seat.to_json() for seat in picture.seats()]

    return router
