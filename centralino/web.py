"""The web app: health and metrics now; domain packages add their routers here later."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder

from centralino.health import HealthReport


def create_web_app(health: Callable[[], Awaitable[HealthReport]],
                   routers: Sequence[APIRouter] = ()) -> FastAPI:
    """The engine's web app: ``/health``, ``/metrics`` and the domain packages' routers."""
    app = FastAPI(title="Centralino", docs_url="/api/docs", redoc_url=None)
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
