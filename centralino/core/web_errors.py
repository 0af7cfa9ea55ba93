"""What a browser meets when something goes wrong: small HTML pages for 403, 404 and 500.

API clients (anything not asking for ``text/html``) keep getting JSON ``{"detail": …}``.
"""

from __future__ import annotations

import html

import structlog
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

log = structlog.get_logger(__name__)

_PAGES = {
    403: ("Not for your role", "Your account may not open this page."),
    404: ("Not found", "There is no such page here."),
    500: ("Something went wrong", "The server could not answer. Try again in a moment; if it "
                                  "happens again, tell the administrator."),
}
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                       "frame-ancestors 'none'"}
_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Centralino</title>
<style>body {{ font-family: system-ui, sans-serif; background: #f3f4f6; color: #111827;
margin: 0; display: flex; min-height: 100vh; align-items: center; justify-content: center; }}
main {{ background: #fff; padding: 2rem 2.5rem; border-radius: 8px; max-width: 28rem;
box-shadow: 0 1px 3px rgba(0, 0, 0, .15); }} h1 {{ font-size: 1.3rem; margin-top: 0; }}</style>
</head><body><main><h1>{title}</h1><p>{text}</p><p>{detail}</p>
<p><a href="/">Back to your page</a></p></main></body></html>
"""


def install_error_pages(app: FastAPI) -> None:
    """HTML 403, 404 and 500 pages for browsers on ``app``; JSON for everyone else."""
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)


def wants_html(request: Request) -> bool:
    """Whether the client is a browser asking for a page."""
    return "text/html" in request.headers.get("accept", "")


def error_page(status_code: int, detail: str = "") -> HTMLResponse:
    title, text = _PAGES[status_code]
    return HTMLResponse(_TEMPLATE.format(title=title, text=text, detail=html.escape(detail)),
                        status_code=status_code, headers=_HEADERS)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in _PAGES and wants_html(request):
        page = error_page(exc.status_code, exc.detail if exc.status_code == 403 else "")
        page.headers.update(exc.headers or {})
        return page
    return await http_exception_handler(request, exc)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("web.unhandled_error", path=request.url.path, error=repr(exc))
    if wants_html(request):
        return error_page(500)
    return JSONResponse({"detail": "internal server error"}, status_code=500)
