"""Alembic migrations of the Centralino schema (run by
:func:`centralino.core.db.upgrade_database`)."""
