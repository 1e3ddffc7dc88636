"""Published feeds: the feed events as last published and the feed bytes served over HTTP.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_SUBJECTS = (("period_id", "tension_period"), ("doctor_id", "doctor"), ("site_id", "site"),
                  ("slot_id", "slot"))


def upgrade() -> None:
    op.create_table(
        "published_event",
        sa.Column("uid", sa.String(), nullable=False),
        *(sa.Column(column, sa.String(), nullable=False) for column, _ in EVENT_SUBJECTS),
        sa.Column("audience", sa.Enum("doctor", "team", name="audience", native_enum=False),
                  nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("location", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        *(
            sa.ForeignKeyConstraint([column], [f"{table}.id"],
                                    name=op.f(f"fk_published_event_{column}_{table}"))
            for column, table in EVENT_SUBJECTS
        ),
        sa.PrimaryKeyConstraint("uid", name=op.f("pk_published_event")),
    )
    for column, _ in EVENT_SUBJECTS:
        op.create_index(op.f(f"ix_published_event_{column}"), "published_event", [column])
    op.create_table(
        "published_feed",
        sa.Column("kind", sa.Enum("doctor", "site", "all", name="feedkind", native_enum=False),
                  nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("etag", sa.String(length=66), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "subject", name=op.f("pk_published_feed")),
    )


def downgrade() -> None:
    op.drop_table("published_feed")
    for column, _ in EVENT_SUBJECTS:
        op.drop_index(op.f(f"ix_published_event_{column}"), table_name="published_event")
    op.drop_table("published_event")
