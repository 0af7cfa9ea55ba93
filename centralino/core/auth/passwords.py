"""Password hashing with argon2id (argon2-cffi, its RFC 9106 default parameters).

Hashing takes about 0.1 s of CPU and 64 MiB by design, so it runs in worker threads (the C
code releases the GIL): a login never stalls the event loop that carries the calls. Those
threads are their own small pool with a bounded queue (:class:`HashingPool`), not the default
executor the recordings and calls use: a flood of logins waits (or is refused with
:class:`HashingBusy`) on its own, and delays nothing else.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")

HASHING_THREADS = 2  # at most this many hashes at once (each ~64 MiB)
HASHING_QUEUE = 8  # hashes waiting for a thread; beyond this, HashingBusy

_hasher = PasswordHasher()


class HashingBusy(Exception):
    """Too many passwords are being checked already: try again in a few seconds."""


class HashingPool:
    """A thread pool of ``threads`` with room for ``queue`` jobs waiting, no more."""

    def __init__(self, threads: int = HASHING_THREADS, queue: int = HASHING_QUEUE) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="argon2")
        self._slots = threading.BoundedSemaphore(threads + queue)

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """``work(*args)`` in the pool; :class:`HashingBusy` at once when the queue is full.

        A job's slot is freed when the job ends, even if its caller stopped waiting.
        """
        if not self._slots.acquire(blocking=False):
            raise HashingBusy()
        try:
            future = self._executor.submit(work, *args)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _done: self._slots.release())
        return await asyncio.wrap_future(future)


_pool = HashingPool()


def hashing_pool() -> HashingPool:
    """The pool every hash and verification runs in (tests replace it)."""
    return _pool


def generate_password() -> str:
    """A new random password: 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


async def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted: never the same twice)."""
    return await hashing_pool().run(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False for a malformed hash."""
    return await hashing_pool().run(_verify, password_hash, password)


async def verify_nothing(password: str) -> None:
    """Spend the time of a verification, for a user that does not exist (no timing oracle)."""
    await hashing_pool().run(lambda: _verify(_dummy_hash(), password))


def needs_rehash(password_hash: str) -> bool:
    """Whether ``password_hash`` was made with other parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(generate_password())
