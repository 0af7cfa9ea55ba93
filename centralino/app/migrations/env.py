"""Alembic environment.

Programmatic use (:func:`centralino.core.db.upgrade_database`) hands over an open connection in
``config.attributes["connection"]``. From the ``alembic`` command line (developers writing a new
revision) the URL comes from ``$CENTRALINO_DATABASE_URL``, else ``sqlalchemy.url`` in
``alembic.ini``, and an async engine is created here.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from centralino.app.schema import metadata
from centralino.core.db import create_engine

config = context.config
target_metadata = metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying
        compare_type=True,
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def _url() -> str:
    url = os.environ.get("CENTRALINO_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set CENTRALINO_DATABASE_URL or sqlalchemy.url in alembic.ini")
    return url


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    _run(connection)
else:
    if config.config_file_name is not None:
        fileConfig(config.config_file_name)
    asyncio.run(_run_with_own_engine(_url()))
