"""Operator consoles as a browser holds them: signed in, with the screen-pop WebSocket open.

Each operator signs in with ``POST /login`` (the CSRF token from the login form, the session
cookie kept) and opens ``/ws/console``. A pop's arrival is the benchmark's wall clock
(``time.time()``) when the message is read, on the same machine as Asterisk's clock that
stamped the ``AgentCalled``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class PopClock:
    """When each pop reached its operator's console: (linkedid, operator) → Unix time."""

    arrived: dict[tuple[str, str], float] = field(default_factory=dict)
    messages: int = 0

    def ring_to_pop_ms(self, rung: dict[tuple[str, str], float]) -> list[float]:
        """Per pop: the seat's AgentCalled (``rung``, same key) → the pop on the console."""
        return [(at - rung[key]) * 1000 for key, at in self.arrived.items() if key in rung]


async def sign_in(http: aiohttp.ClientSession, base: str, name: str, password: str) -> None:
    async with http.get(f"{base}/login") as page:
        token = _CSRF.search(await page.text())
    if token is None:
        raise RuntimeError(f"{base}/login has no CSRF token")
    async with http.post(f"{base}/login", allow_redirects=False,
                         data={"name": name, "password": password,
                               "csrf_token": token[1]}) as answer:
        if answer.status != 303:
            raise RuntimeError(f"{name} could not sign in: HTTP {answer.status}")


async def _read_pops(socket: aiohttp.ClientWebSocketResponse, operator: str,
                     clock: PopClock) -> None:
    async for message in socket:
        if message.type is not aiohttp.WSMsgType.TEXT:
            break
        at = time.time()
        clock.messages += 1
        data = message.json()
        if data.get("type") == "pop":
            clock.arrived.setdefault((data["pop"]["linkedid"], operator), at)


@contextlib.asynccontextmanager
async def open_consoles(base: str, passwords: dict[str, str]) -> AsyncIterator[PopClock]:
    """Every operator of ``passwords`` (name → password) signed in with the console open."""
    clock = PopClock()
    async with contextlib.AsyncExitStack() as stack:
        readers = []
        for name, password in passwords.items():
            # unsafe: keep the session cookie of a bare IP address (127.0.0.1)
            http = await stack.enter_async_context(
                aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)))
            await sign_in(http, base, name, password)
            socket = await stack.enter_async_context(
                http.ws_connect(base.replace("http", "ws", 1) + "/ws/console", heartbeat=20))
            readers.append(asyncio.create_task(_read_pops(socket, name, clock)))
        try:
            yield clock
        finally:
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
