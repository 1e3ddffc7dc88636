"""Invitations: each personal link issued to a doctor for a period, and whether it was emailed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFERENCES = (("period_id", "tension_period"), ("doctor_id", "doctor"),
              ("token_id", "access_token"))


def upgrade() -> None:
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.String(), nullable=False),
        sa.Column("doctor_id", sa.String(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(), nullable=False),
        sa.Column("emailed_to", sa.String(), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_error", sa.String(), nullable=False),
        *(
            sa.ForeignKeyConstraint([column], [f"{table}.id"],
                                    name=op.f(f"fk_invitation_{column}_{table}"))
            for column, table in REFERENCES
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
    )
    op.create_index(op.f("ix_invitation_period_id"), "invitation", ["period_id"])
    op.create_index(op.f("ix_invitation_doctor_id"), "invitation", ["doctor_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_invitation_doctor_id"), table_name="invitation")
    op.drop_index(op.f("ix_invitation_period_id"), table_name="invitation")
    op.drop_table("invitation")
