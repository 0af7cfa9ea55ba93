"""The web app: health, metrics, login; domain packages add their routers here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.auth.web import install_auth
from centralino.core.health import HealthReport


def create_web_app(health: Callable[[], Awaitable[HealthReport]],
                   routers: Sequence[APIRouter] = (), *, session_key: str,
                   sessions: async_sessionmaker[AsyncSession]) -> FastAPI:
    """The engine's web app: ``/health``, ``/metrics``, login and the domain packages' routers.

    Users are looked up through ``sessions``; session cookies are signed with ``session_key``.
    """
    app = FastAPI(title="Centralino", docs_url="/api/docs", redoc_url=None)
    install_auth(app, session_key, sessions)
    for router in routers:
        app.include_router(router)

    @app.get("/health")
    async def get_health() -> JSONResponse:
        """200 when AMI, ARI and the database all answer; 503 naming what is down otherwise."""
        report = await health()
        return JSONResponse(report.to_json(), status_code=200 if report.healthy else 503)

    @app.get("/metrics")
    async def get_metrics(request: Request) -> Response:
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(REGISTRY), media_type=content_type)

    return app
