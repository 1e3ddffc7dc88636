"""A doctor's minimum hours and minimum consecutive working days leave the tables: rules of
staff-scheduling benchmarks that no tension period sets (`scheduler.domain.benchmark`), which
neither a scenario, a problem.json nor a form could give (issue 15).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("doctor_period") as batch:
        batch.drop_column("min_consecutive_days")
        batch.drop_column("min_hours")


def downgrade() -> None:
    with op.batch_alter_table("doctor_period") as batch:
        batch.add_column(sa.Column("min_hours", sa.Float(), nullable=True))
        batch.add_column(sa.Column("min_consecutive_days", sa.Integer(), nullable=True))
