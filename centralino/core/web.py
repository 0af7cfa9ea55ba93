"""The web app: health, metrics, login; domain packages add their routers here.

Every route needs a signed-in user unless it is declared open (:mod:`centralino.core.auth.access`);
requests for other host names than ``web.allowed_hosts`` are refused, bodies are limited to
``web.max_body_bytes``, and with an ``https`` ``web.public_url`` cookies are ``Secure`` and
answers carry HSTS.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import MutableHeaders
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from centralino.core.auth.access import CONTROL_TOKEN, METRICS_TOKEN, public, token_access
from centralino.core.auth.web import install_auth
from centralino.core.health import HealthReport
from centralino.core.web_errors import install_error_pages
from config.settings import WebSettings

HSTS = "max-age=31536000"  # a year: browsers then refuse plain HTTP to this host


def create_web_app(health: Callable[[], Awaitable[HealthReport]],
                   routers: Sequence[APIRouter] = (), *, session_key: str,
                   sessions: async_sessionmaker[AsyncSession],
                   web: WebSettings | None = None, metrics_token: str = "",
                   control_token: str = "") -> FastAPI:
    """The engine's web app: ``/health``, ``/metrics``, login and the domain packages' routers.

    Users are looked up through ``sessions``; session cookies are signed with ``session_key``.
    ``web`` gives the allowed host names, the body limit and the public URL (default: the
    defaults of :class:`config.settings.WebSettings`, loopback names only). ``/metrics``
    answers clients on this machine and bearers of ``metrics_token``; routes declared
    ``@token_access(CONTROL_TOKEN)`` also take ``control_token``.
    """
    web = web or WebSettings()
    app = FastAPI(title="Centralino", docs_url=None, redoc_url=None, openapi_url=None,
                  max_body_size=web.max_body_bytes)
    install_auth(app, session_key, sessions, secure_cookies=web.https,
                 tokens={METRICS_TOKEN: metrics_token, CONTROL_TOKEN: control_token})
    install_error_pages(app)
    for router in routers:
        app.include_router(router)

    @app.get("/health")
    @public
    async def get_health() -> JSONResponse:
        """200 when AMI, ARI and the database all answer; 503 naming what is down otherwise."""
        report = await health()
        return JSONResponse(report.to_json(), status_code=200 if report.healthy else 503)

    @app.get("/metrics")
    @token_access(METRICS_TOKEN, loopback=True)
    async def get_metrics(request: Request) -> Response:
        """Prometheus metrics: from this machine, or with ``Authorization: Bearer <token>``."""
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(REGISTRY), media_type=content_type)

    @app.get("/openapi.json", include_in_schema=False)
    async def get_openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/api/docs", include_in_schema=False)
    async def get_docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Centralino API")

    app.add_middleware(SecurityHeaders, hsts=web.https)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(web.allowed_hosts),
                       www_redirect=False)
    return app


class SecurityHeaders:
    """ASGI middleware: ``Strict-Transport-Security`` on every answer when ``hsts``."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self._hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._hsts:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
