"""Fixtures shared by every test suite: a fresh database on each supported backend."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.cli_support import database_sessions

POSTGRES_HOST = "127.0.0.1:5432"
POSTGRES_USERS = ("postgres", "root")


async def _postgres_admin() -> tuple[asyncpg.Connection, str]:
    """A connection to the maintenance database ``test``, as the first user that is accepted."""
    refusals = []
    for user in POSTGRES_USERS:
        try:
            return await asyncpg.connect(f"postgresql://{user}@{POSTGRES_HOST}/test"), user
        except (asyncpg.InvalidAuthorizationSpecificationError,
                asyncpg.InvalidPasswordError) as exc:
            refusals.append(f"{user}: {exc}")
        except OSError as exc:
            pytest.fail(f"PostgreSQL at {POSTGRES_HOST} unreachable ({exc}); "
                        "deselect with -m 'not postgres'")
    pytest.fail(f"PostgreSQL at {POSTGRES_HOST} refused every user: {'; '.join(refusals)}")


def sqlite_url(folder: Path) -> str:
    """The URL of the SQLite database file the fixtures make in ``folder``."""
    return f"sqlite+aiosqlite:///{folder / 'centralino.db'}"


@pytest_asyncio.fixture
async def sqlite_sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a fresh SQLite database (:func:`sqlite_url`), for tests whose subject does
    not depend on the backend."""
    async with database_sessions(sqlite_url(tmp_path)) as sessions:
        yield sessions


@pytest_asyncio.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database (no schema), SQLite in a temp file or a new PostgreSQL DB."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    admin, user = await _postgres_admin()
    name = f"centralino_test_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql+asyncpg://{user}@{POSTGRES_HOST}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest_asyncio.fixture
async def db_session_factory(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on ``database_url`` after ``upgrade head``."""
    async with database_sessions(database_url) as sessions:
        yield sessions


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """For commands that configure logging as the engine does: undone for the other tests."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)
