"""Solve jobs: the manager's view of background solves; on PostgreSQL, the task queue's own
tables (procrastinate's schema, as the installed version ships it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JOB_STATES = ("queued", "running", "done", "failed", "cancelled", "interrupted")


def upgrade() -> None:
    op.create_table(
        "solve_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.String(), nullable=False),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_limit_seconds", sa.Float(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("state", sa.Enum(*JOB_STATES, name="jobstate", native_enum=False),
                  nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=True),
        sa.Column("log", sa.JSON(), nullable=False),
        sa.Column("rota_version_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["period_id"], ["tension_period.id"],
                                name=op.f("fk_solve_job_period_id_tension_period")),
        sa.ForeignKeyConstraint(["rota_version_id"], ["rota_version.id"],
                                name=op.f("fk_solve_job_rota_version_id_rota_version")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solve_job")),
    )
    op.create_index(op.f("ix_solve_job_period_id"), "solve_job", ["period_id"])
    op.create_index(op.f("ix_solve_job_state"), "solve_job", ["state"])
    if op.get_bind().dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        # The queue's tables, functions and triggers, as one script of the installed version
        # (the driver reads % as a placeholder).
        op.get_bind().exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))


#: Everything procrastinate's script created: its tables, then its functions and types.
DROP_QUEUE = r"""
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind = 'r'
               AND c.relname LIKE 'procrastinate\_%' LOOP
        EXECUTE 'DROP TABLE IF EXISTS ' || quote_ident(r.relname) || ' CASCADE';
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\_%' LOOP
        EXECUTE 'DROP FUNCTION IF EXISTS ' || r.f || ' CASCADE';
    END LOOP;
    FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'c')
               AND t.typname LIKE 'procrastinate\_%' LOOP
        EXECUTE 'DROP TYPE IF EXISTS ' || quote_ident(r.typname) || ' CASCADE';
    END LOOP;
END $$;
"""


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.get_bind().exec_driver_sql(DROP_QUEUE.replace("%", "%%"))
    op.drop_index(op.f("ix_solve_job_state"), table_name="solve_job")
    op.drop_index(op.f("ix_solve_job_period_id"), table_name="solve_job")
    op.drop_table("solve_job")
