"""Alembic migrations of the Centralino schema (run by :func:`centralino.db.upgrade_database`)."""
