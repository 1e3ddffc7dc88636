"""Secret links: access tokens for personal links, feeds and coordinators (stored hashed).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("doctor_link", "feed", "coordinator", "site_feed", "manager_feed")
SUBJECTS = (("doctor_id", "doctor"), ("organisation_id", "organisation"), ("site_id", "site"),
            ("period_id", "tension_period"))


def upgrade() -> None:
    op.create_table(
        "access_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum(*KINDS, name="tokenkind", native_enum=False), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        *(sa.Column(column, sa.String(), nullable=True) for column, _ in SUBJECTS),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        *(
            sa.ForeignKeyConstraint([column], [f"{table}.id"],
                                    name=op.f(f"fk_access_token_{column}_{table}"))
            for column, table in SUBJECTS
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_access_token_token_hash")),
    )
    for column, _ in SUBJECTS:
        op.create_index(op.f(f"ix_access_token_{column}"), "access_token", [column])


def downgrade() -> None:
    for column, _ in SUBJECTS:
        op.drop_index(op.f(f"ix_access_token_{column}"), table_name="access_token")
    op.drop_table("access_token")
