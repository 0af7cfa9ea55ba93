"""What the IVR learns about a call: its path, outcome, classification, language, contact.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OUTCOMES = ("'queued', 'voicemail', 'hangup_in_menu', 'info_message', 'transfer', "
             "'status_query'")


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("pin_digest", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("pin_digest", name=op.f("uq_contacts_pin_digest")),
    )
    op.create_index(op.f("ix_contacts_phone"), "contacts", ["phone"])
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("contact_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("classification", sa.String(64), nullable=True))
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))
        batch.add_column(sa.Column("dtmf_path", sa.String(255), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("ivr_nodes", sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))
        batch.add_column(sa.Column("ivr_outcome", sa.String(32), nullable=True))
        batch.create_foreign_key(op.f("fk_tickets_contact_id_contacts"), "contacts",
                                 ["contact_id"], ["id"])
        batch.create_check_constraint(op.f("ck_tickets_ivr_outcome"),
                                      f"ivr_outcome IN ({_OUTCOMES})")


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_constraint(op.f("ck_tickets_ivr_outcome"), type_="check")
        batch.drop_constraint(op.f("fk_tickets_contact_id_contacts"), type_="foreignkey")
        for column in ("ivr_outcome", "ivr_nodes", "dtmf_path", "language", "classification",
                       "contact_id"):
            batch.drop_column(column)
    op.drop_index(op.f("ix_contacts_phone"), table_name="contacts")
    op.drop_table("contacts")
