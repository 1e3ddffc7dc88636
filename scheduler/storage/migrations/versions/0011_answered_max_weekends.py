"""The weekends cap a GP gives in their form, kept apart from the period's rule (the solver
takes the lower of the two).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("doctor_period") as batch:
        batch.add_column(sa.Column("answered_max_weekends", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("doctor_period") as batch:
        batch.drop_column("answered_max_weekends")
