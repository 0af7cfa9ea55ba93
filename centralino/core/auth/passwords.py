"""Password hashing with argon2id (argon2-cffi, its RFC 9106 default parameters).

Hashing takes about 0.1 s of CPU and 64 MiB by design, so it runs in a worker thread (the C
code releases the GIL): a login never stalls the event loop that carries the calls.
"""

from __future__ import annotations

import asyncio
import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def generate_password() -> str:
    """A new random password: 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


async def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted: never the same twice)."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False for a malformed hash."""
    return await asyncio.to_thread(_verify, password_hash, password)


async def verify_nothing(password: str) -> None:
    """Spend the time of a verification, for a user that does not exist (no timing oracle)."""
    await asyncio.to_thread(lambda: _verify(_dummy_hash(), password))


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
