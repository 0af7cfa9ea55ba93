"""Failed logins counted per client address, in memory: a brake on password guessing."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable

MAX_KEYS = 10_000  # beyond this, forgotten first: stale keys, then the oldest


class LoginThrottle:
    """At most ``limit`` failed logins per key in any ``window`` seconds.

    Per process: the engine is one process. Every attempt is counted before the password is
    checked (:meth:`failed`); a success takes back its own count (:meth:`succeeded`) and no
    other, so signing in to one's own account between guesses resets nothing.
    """

    def __init__(self, limit: int = 5, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[Hashable, deque[float]] = {}

    def retry_after(self, key: Hashable) -> float:
        """Seconds until ``key`` may try again; 0 if it may now."""
        failures = self._failures.get(key)
        if failures is None:
            return 0.0
        self._prune(failures)
        if len(failures) < self.limit:
            return 0.0
        return failures[0] + self.window - self._clock()

    def failed(self, key: Hashable) -> None:
        """Count a failed login of ``key``."""
        failures = self._failures.setdefault(key, deque(maxlen=self.limit))
        self._prune(failures)
        failures.append(self._clock())
        if len(self._failures) > MAX_KEYS:
            self._forget_stale()

    def succeeded(self, key: Hashable) -> None:
        """Take back the latest count of ``key``: the attempt it stood for succeeded."""
        failures = self._failures.get(key)
        if failures:
            failures.pop()
            if not failures:
                del self._failures[key]

    def _prune(self, failures: deque[float]) -> None:
        horizon = self._clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()

    def _forget_stale(self) -> None:
        horizon = self._clock() - self.window
        for key in [k for k, f in self._failures.items() if not f or f[-1] <= horizon]:
            del self._failures[key]
        while len(self._failures) > MAX_KEYS:
            del self._failures[next(iter(self._failures))]
