"""Accounts: managers and admins who sign in, the sites they are given, and their sessions and
API tokens (as access tokens bound to an account, with their last use).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKEN_KINDS = ("doctor_link", "feed", "coordinator", "site_feed", "manager_feed")


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.Enum("admin", "manager", name="role", native_enum=False),
                  nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("email", name=op.f("uq_account_email")),
    )
    op.create_table(
        "account_site",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"],
                                name=op.f("fk_account_site_account_id_account")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"],
                                name=op.f("fk_account_site_site_id_site")),
        sa.PrimaryKeyConstraint("account_id", "site_id", name=op.f("pk_account_site")),
    )
    op.create_index(op.f("ix_account_site_site_id"), "account_site", ["site_id"])
    with op.batch_alter_table("access_token") as batch:
        batch.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("label", sa.String(), nullable=False, server_default=""))
        batch.alter_column(
            "kind",
            existing_type=sa.Enum(*TOKEN_KINDS, name="tokenkind", native_enum=False),
            type_=sa.Enum(*TOKEN_KINDS, "session", "api_token", name="tokenkind",
                          native_enum=False),
        )
        batch.create_foreign_key(op.f("fk_access_token_account_id_account"), "account",
                                 ["account_id"], ["id"])
        batch.create_index(op.f("ix_access_token_account_id"), ["account_id"])


def downgrade() -> None:
    op.execute("DELETE FROM access_token WHERE kind IN ('session', 'api_token')")
    with op.batch_alter_table("access_token") as batch:
        batch.drop_index(op.f("ix_access_token_account_id"))
        batch.drop_constraint(op.f("fk_access_token_account_id_account"), type_="foreignkey")
        batch.alter_column(
            "kind",
            existing_type=sa.Enum(*TOKEN_KINDS, "session", "api_token", name="tokenkind",
                                  native_enum=False),
            type_=sa.Enum(*TOKEN_KINDS, name="tokenkind", native_enum=False),
        )
        for name in ("label", "last_used_at", "account_id"):
            batch.drop_column(name)
    op.drop_index(op.f("ix_account_site_site_id"), table_name="account_site")
    op.drop_table("account_site")
    op.drop_table("account")
