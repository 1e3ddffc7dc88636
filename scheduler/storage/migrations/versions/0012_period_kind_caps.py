"""A period's per-kind caps for every doctor (a scenario's `rules.max_shifts_by_kind`), kept
on the period so that a doctor invited after the load gets them too.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tension_period") as batch:
        batch.add_column(sa.Column("max_shifts_by_kind", sa.JSON(), nullable=False,
                                   server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("tension_period") as batch:
        batch.drop_column("max_shifts_by_kind")
