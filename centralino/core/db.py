"""The database: engine, sessions, schema upgrades and the shared declarative base.

One convention for every data module (calls, tickets, ...): service functions take an
:class:`~sqlalchemy.ext.asyncio.AsyncSession` made by :func:`session_factory` and commit their
own unit of work. Sessions keep objects loaded after a commit (``expire_on_commit=False``), so a
returned row can be read without touching the database again. The few writes every call makes
are synchronous functions on a :class:`~sqlalchemy.Connection` instead: the engine runs them in
a thread of its own (:mod:`centralino.core.group_commit`), and :func:`run_write` runs one in a
session.

SQLite (the embedded default) and PostgreSQL are both supported; migrations live in
``centralino/app/migrations`` and are found through the package path, whatever the cwd.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy
from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import (
    CheckConstraint,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Table,
    event,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# The schema's history spans every domain, so it lives with the composition root.
MIGRATIONS = Path(__file__).parents[1] / "app" / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
CONNECT_TIMEOUT = 10.0  # seconds to open a connection (schema upgrades, first queries)
CHECK_TIMEOUT = 5.0  # seconds check_database waits for SELECT 1
_SYNC_DRIVERS = {"sqlite+aiosqlite://": "sqlite://",
                 "postgresql+asyncpg://": "postgresql+psycopg://"}
# Any constant: serialises concurrent schema upgrades of one PostgreSQL database.
_UPGRADE_LOCK_ID = 0x63656E74

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every Centralino table; constraints get predictable names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    Naive datetimes are refused on the way in (their zone is unknowable); values come back
    aware, in UTC, also from SQLite, which stores no zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_check(column: str, enum: type[StrEnum], name: str | None = None) -> CheckConstraint:
    """``CHECK (column IN ('a', 'b', …))`` over ``enum``'s values, in their order; named
    ``name`` (default: the column), which the naming convention turns into ``ck_<table>_<name>``.
    """
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=name or column)


def utcnow() -> datetime:
    return datetime.now(UTC)


def table_of(model: type[Base]) -> Table:
    """``model``'s table, for Core statements (declarative types ``__table__`` loosely)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


P = ParamSpec("P")
T = TypeVar("T")


def insert_unless_duplicate(bind: AsyncSession | Connection, target: type[Base] | Table) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` into ``target``, for the backend of ``bind``.

    A row that would break a unique constraint is silently not inserted (``rowcount`` 0):
    idempotent writes without an IntegrityError, so no rollback expires the caller's objects.
    A :class:`Table` gives a Core statement: no ORM work per execution, for the per-call writes
    (pass the values as execution parameters). The statement is built once per backend.
    """
    dialect = bind.get_bind().dialect if isinstance(bind, AsyncSession) else bind.dialect
    return _conflict_ignoring_insert(dialect.name, target)


@functools.cache
def _conflict_ignoring_insert(dialect_name: str, target: type[Base] | Table) -> Any:
    if dialect_name == "postgresql":
        return postgresql.insert(target).on_conflict_do_nothing()
    if dialect_name == "sqlite":
        return sqlite.insert(target).on_conflict_do_nothing()
    raise NotImplementedError(f"no conflict-ignoring insert for {dialect_name}")


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened. The message names the URL, never its password."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = safe_url(url)
        self.reason = reason
        super().__init__(f"database unavailable at {self.url}: {reason}")


def safe_url(url: str) -> str:
    """``url`` with its password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL still must not leak what follows the scheme
        return url.split("://", 1)[0] + "://…"


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url`` (``sqlite+aiosqlite://`` or ``postgresql+asyncpg://``).

    SQLite: the file's directory is created, and every connection uses WAL, a busy timeout and
    enforced foreign keys. PostgreSQL: connections are checked before use (``pool_pre_ping``).
    """
    parsed = make_url(url)
    if _prepare_sqlite(parsed):
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine
    return create_async_engine(url, pool_pre_ping=True,
                               connect_args={"timeout": CONNECT_TIMEOUT})


def sync_database_url(url: str) -> str:
    """The synchronous SQLAlchemy URL of the same database as the async ``url``."""
    for async_prefix, sync_prefix in _SYNC_DRIVERS.items():
        if url.startswith(async_prefix):
            return sync_prefix + url.removeprefix(async_prefix)
    raise ValueError(f"no synchronous driver for {url.split('://', 1)[0]} URLs")


def create_sync_engine(url: str) -> Engine:
    """A synchronous engine on the database of the async ``url``, configured as
    :func:`create_engine` configures its own; for work that runs in a thread of its own."""
    parsed = make_url(url)
    sync_url = sync_database_url(url)
    if _prepare_sqlite(parsed):
        engine = sqlalchemy.create_engine(sync_url)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return sqlalchemy.create_engine(sync_url, pool_pre_ping=True,
                                    connect_args={"connect_timeout": int(CONNECT_TIMEOUT)})


def _prepare_sqlite(parsed: URL) -> bool:
    """For a SQLite ``parsed``, create the file's directory and return True."""
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        # A failure here surfaces as DatabaseUnavailable on first connect.
        with contextlib.suppress(OSError):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    return True


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def run_write(session: AsyncSession, write: Callable[Concatenate[Connection, P], T],
                    *args: P.args, **kwargs: P.kwargs) -> T:
    """Run the synchronous ``write(connection, *args, **kwargs)`` in ``session`` and commit;
    roll back if it raises."""
    try:
        result = await session.run_sync(
            lambda sync_session: write(sync_session.connection(), *args, **kwargs))
    except BaseException:
        await session.rollback()
        raise
    await session.commit()
    return result


async def _connect(engine: AsyncEngine, seconds: float) -> AsyncConnection:
    try:
        async with asyncio.timeout(seconds):
            return await engine.connect()
    except TimeoutError:
        raise DatabaseUnavailable(str(engine.url), f"no answer within {seconds:g} s") from None
    except (OSError, SQLAlchemyError) as exc:
        raise DatabaseUnavailable(str(engine.url), _reason(exc)) from None
    except Exception as exc:  # driver errors not wrapped by SQLAlchemy (e.g. asyncpg's)
        if type(exc).__module__.startswith(("asyncpg", "aiosqlite", "sqlite3")):
            raise DatabaseUnavailable(str(engine.url), _reason(exc)) from None
        raise


def _reason(exc: BaseException) -> str:
    """One line saying why: the driver's own message, without SQLAlchemy's decorations."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return lines[0] if lines else type(original).__name__


async def check_database(engine: AsyncEngine) -> None:
    """Run ``SELECT 1``; raise :class:`DatabaseUnavailable` if that fails or takes too long."""
    conn = await _connect(engine, CHECK_TIMEOUT)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await conn.execute(text("SELECT 1"))
    except TimeoutError:
        raise DatabaseUnavailable(str(engine.url),
                                  f"no answer within {CHECK_TIMEOUT:g} s") from None
    except (OSError, SQLAlchemyError) as exc:
        raise DatabaseUnavailable(str(engine.url), _reason(exc)) from None
    finally:
        with contextlib.suppress(Exception):
            await conn.close()


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations (no ``alembic.ini`` needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def upgrade_database(url: str) -> None:
    """Create or migrate the schema at ``url`` to the latest revision (``alembic upgrade head``).

    Raises :class:`DatabaseUnavailable` if the database cannot be reached or its schema is not
    one of ours (e.g. written by a newer Centralino); an already current schema is left
    untouched. On PostgreSQL concurrent upgrades wait for each other.
    """
    engine = create_engine(url)
    try:
        conn = await _connect(engine, CONNECT_TIMEOUT)
        try:
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"),
                                   {"id": _UPGRADE_LOCK_ID})
            try:
                await conn.run_sync(_upgrade, alembic_config())
            except CommandError as exc:  # e.g. a schema newer than this Centralino
                raise DatabaseUnavailable(url, f"cannot upgrade the schema: {exc}") from None
            await conn.commit()
        finally:
            await conn.close()
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
