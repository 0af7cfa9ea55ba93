"""enum_check: one CHECK constraint per StrEnum column, the SQL the migrations already wrote."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Column, MetaData, String, Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateTable

from centralino.core.auth.models import User
from centralino.core.db import NAMING_CONVENTION, enum_check


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


def test_the_constraint_lists_the_values_in_order_and_is_named_after_the_column() -> None:
    table = Table("paints", MetaData(naming_convention=NAMING_CONVENTION),
                  Column("colour", String(8)), enum_check("colour", Colour))
    ddl = str(CreateTable(table).compile(dialect=sqlite.dialect()))
    assert "CONSTRAINT ck_paints_colour CHECK (colour IN ('red', 'blue'))" in ddl


def test_an_explicit_name_replaces_the_columns() -> None:
    assert enum_check("colour", Colour, name="paint").name == "paint"


def test_a_model_keeps_the_check_its_migration_created() -> None:
    ddl = str(CreateTable(User.__table__).compile(dialect=sqlite.dialect()))
    # as in migration 0009
    assert ("CONSTRAINT ck_users_role CHECK "
            "(role IN ('operator', 'supervisor', 'campaign_manager', 'admin'))" in ddl)
