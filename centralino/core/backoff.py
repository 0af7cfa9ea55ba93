"""Capped exponential backoff for reconnect loops."""

from __future__ import annotations

import random


class Backoff:
    """Delays that double from ``initial`` up to ``cap``, with ±20 % jitter."""

    def __init__(self, initial: float, cap: float) -> None:
        self._initial = initial
        self._cap = cap
        self._next = initial

    def reset(self) -> None:
        self._next = self._initial

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._cap, self._next * 2)
        return delay * random.uniform(0.8, 1.2)
