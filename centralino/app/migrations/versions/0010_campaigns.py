"""Outbound campaigns: campaigns, their contacts and attempts, the do-not-call list; and the
origin of every call (inbound, callback, campaign).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _one_of(column: str, values: str, table: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN ({values})", name=op.f(f"ck_{table}_{column}"))


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("scripts", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        _when("created_at"), _when("updated_at"),
        _when("started_at", nullable=True), _when("ended_at", nullable=True),
        _one_of("state", "'draft', 'running', 'paused', 'stopped', 'finished'", "campaigns"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")))
    op.create_table(
        "dnc_numbers",
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("added_by", sa.String(64), nullable=True),
        _when("added_at"),
        _one_of("source", "'cli', 'api', 'import', 'opt_out'", "dnc_numbers"),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_dnc_numbers")))
    op.create_table(
        "campaign_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("ticket", sa.String(32), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retries", sa.JSON(), nullable=False),
        _when("next_at"), _when("expires_at"), _when("created_at"), _when("updated_at"),
        _one_of("status", "'pending', 'calling', 'done', 'opted_out', 'dnc', 'expired', "
                          "'exhausted', 'invalid'", "campaign_contacts"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"],
                                name=op.f("fk_campaign_contacts_campaign_id_campaigns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_contacts")),
        sa.UniqueConstraint("campaign_id", "phone",
                            name=op.f("uq_campaign_contacts_campaign_id")))
    op.create_index("ix_campaign_contacts_due", "campaign_contacts",
                    ["campaign_id", "status", "next_at"])
    op.create_table(
        "campaign_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(64), nullable=False),
        _when("started_at"), _when("answered_at", nullable=True),
        _when("ended_at", nullable=True),
        sa.Column("disposition", sa.String(16), nullable=True),
        sa.Column("dial_status", sa.String(32), nullable=True),
        sa.Column("hangup_cause", sa.Integer(), nullable=True),
        sa.Column("amd_status", sa.String(16), nullable=True),
        sa.Column("amd_cause", sa.String(64), nullable=True),
        sa.Column("keys", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("survey", sa.JSON(), nullable=False),
        sa.Column("linkedid", sa.String(64), nullable=True),
        _one_of("disposition", "'human', 'machine', 'busy', 'no_answer', 'congestion', "
                               "'invalid_number', 'failed'", "campaign_attempts"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"],
                                name=op.f("fk_campaign_attempts_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["contact_id"], ["campaign_contacts.id"],
                                name=op.f("fk_campaign_attempts_contact_id_campaign_contacts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_attempts")))
    op.create_index("ix_campaign_attempts_campaign_id", "campaign_attempts",
                    ["campaign_id", "ended_at"])
    op.create_index("ix_campaign_attempts_contact_id", "campaign_attempts", ["contact_id"])
    op.create_index("ix_campaign_attempts_phone_started_at", "campaign_attempts",
                    ["phone", "started_at"])
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("origin", sa.String(16), server_default="inbound",
                                   nullable=False))
        batch.create_check_constraint(op.f("ck_calls_origin"),
                                      "origin IN ('inbound', 'callback', 'campaign')")


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_constraint(op.f("ck_calls_origin"), type_="check")
        batch.drop_column("origin")
    op.drop_table("campaign_attempts")
    op.drop_table("campaign_contacts")
    op.drop_table("dnc_numbers")
    op.drop_table("campaigns")
