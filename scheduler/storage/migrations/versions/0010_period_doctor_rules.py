"""A period's rules for every doctor (a scenario's `rules.max_weekends` / `min_days_off`):
kept on the period so that a doctor invited after the load gets them too.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tension_period") as batch:
        batch.add_column(sa.Column("max_weekends", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("min_days_off", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tension_period") as batch:
        batch.drop_column("min_days_off")
        batch.drop_column("max_weekends")
