"""A doctor's minimum hours and minimum consecutive working days leave the tables: rules of
staff-scheduling benchmarks that no tension period has (`scheduler.domain.benchmark`, issue 15).
No scenario or form could give them; a problem.json could, until now: the periods loaded from
one that had them are named in a warning (they lose them; solving them again may differ).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    having = op.get_bind().execute(sa.text(
        "SELECT DISTINCT period_id FROM doctor_period "
        "WHERE min_hours IS NOT NULL OR min_consecutive_days IS NOT NULL "
        "ORDER BY period_id")).scalars().all()
    if having:
        logging.getLogger("alembic.runtime.migration").warning(
            "minimum hours and minimum consecutive days are no longer kept: periods %s lose "
            "theirs", ", ".join(having))
    with op.batch_alter_table("doctor_period") as batch:
        batch.drop_column("min_consecutive_days")
        batch.drop_column("min_hours")


def downgrade() -> None:
    with op.batch_alter_table("doctor_period") as batch:
        batch.add_column(sa.Column("min_hours", sa.Float(), nullable=True))
        batch.add_column(sa.Column("min_consecutive_days", sa.Integer(), nullable=True))
