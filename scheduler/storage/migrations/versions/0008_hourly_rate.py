"""A period's hourly rate for the payment statement (euros an hour; empty until set).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tension_period") as batch:
        batch.add_column(sa.Column("hourly_rate", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tension_period") as batch:
        batch.drop_column("hourly_rate")
