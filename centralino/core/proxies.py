"""Which reverse proxies may say who the client is (``web.trusted_proxies``).

A request's ``X-Forwarded-For`` is believed only when the direct peer is one of the trusted
addresses or networks, and then the client is the right-most address in it that is not a
trusted proxy (anything left of it could be forged by the client). Without trusted proxies the
header is ignored and the client is the peer.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network
from typing import Any, cast

from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


def behind_proxies(app: ASGIApp, trusted: Sequence[IPv4Network | IPv6Network]) -> ASGIApp:
    """``app``, seeing the client named by a trusted proxy as ``request.client``.

    Serve the result with uvicorn's own ``proxy_headers`` off, so this is the only place the
    header is read.
    """
    if not trusted:
        return app
    middleware = ProxyHeadersMiddleware(cast(Any, app), trusted_hosts=[str(n) for n in trusted])
    return cast(ASGIApp, middleware)
