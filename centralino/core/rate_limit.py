"""A per-client rate limit in memory: at most ``limit`` hits in any ``window`` seconds.

A sliding log of each client's last ``limit`` hits; clients idle for a whole window are
forgotten, so memory stays bounded by the clients of the last window. One process only: enough
for one engine, and what the public status page needs so codes cannot be tried in bulk.
:func:`client_key` says whom a hit counts against (IPv6 clients by their /64).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from ipaddress import IPv6Address, IPv6Network, ip_address


class RateLimiter:
    def __init__(self, limit: int, window: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")
        self._limit = limit
        self._window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._swept_at = clock()

    def __len__(self) -> int:
        """How many clients are remembered."""
        return len(self._hits)

    def hit(self, client: str) -> float:
        """Count a hit by ``client``: 0.0 if allowed, else the seconds until one would be.

        A refused hit is not counted, so a client that waits as told gets through.
        """
        now = self._clock()
        self._sweep(now)
        hits = self._hits.setdefault(client, deque(maxlen=self._limit))
        if len(hits) == self._limit and now - hits[0] < self._window:
            return hits[0] + self._window - now
        hits.append(now)
        return 0.0

    def _sweep(self, now: float) -> None:
        if now - self._swept_at < self._window:
            return
        self._swept_at = now
        self._hits = {client: hits for client, hits in self._hits.items()
                      if now - hits[-1] < self._window}


def client_key(host: str | None) -> str:
    """Whom a hit counts against: an IPv4 address, or an IPv6 address's /64.

    One IPv6 subscriber usually holds a whole /64 (2^64 addresses): counted one by one, each
    would get its own allowance. An IPv4-mapped IPv6 address counts as its IPv4 address.
    """
    if not host:
        return "unknown"
    try:
        address = ip_address(host)
    except ValueError:
        return host
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(IPv6Network((address, 64), strict=False))
    return str(address)
