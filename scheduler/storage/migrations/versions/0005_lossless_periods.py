"""Lossless periods: a slot's key includes its period; every field of the problem is stored.

- `slot` is keyed by (period_id, id), so overlapping periods at one site load side by side;
  `availability`, `pin`, `assignment` and `published_event` refer to a slot by that key
  (the first three gain a `period_id`, filled from the slot or the rota version);
- new columns: the period's daily cap, forbidden successions and objective mode; a slot's
  kind, most seats and over-cover cost; a doctor's per-site and per-kind caps, minimum hours,
  minimum runs of working days and days off, most weekends, and wishes;
- new table `removal`: assignments the manager removed by hand.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Tables referring to a slot, and where their period comes from when it is new.
CHILDREN = ("availability", "pin", "assignment", "published_event")
PERIOD_FROM = {
    "availability": "SELECT slot.period_id FROM slot WHERE slot.id = availability.slot_id",
    "pin": "SELECT slot.period_id FROM slot WHERE slot.id = pin.slot_id",
    "assignment": "SELECT rota_version.period_id FROM rota_version "
                  "WHERE rota_version.id = assignment.rota_version_id",
}
NEW_KEYS = {
    "availability": ["period_id", "doctor_id", "slot_id"],
    "pin": ["period_id", "doctor_id", "slot_id"],
}
OLD_KEYS = {"availability": ["doctor_id", "slot_id"], "pin": ["doctor_id", "slot_id"]}


def _json(name: str, default: str) -> sa.Column[object]:
    return sa.Column(name, sa.JSON(), nullable=False, server_default=default)


def upgrade() -> None:
    with op.batch_alter_table("tension_period") as batch:
        batch.add_column(sa.Column("max_shifts_per_day", sa.Integer(), nullable=True))
        batch.add_column(_json("forbidden_successions", "[]"))
        batch.add_column(sa.Column("objective_mode", sa.String(), nullable=False,
                                   server_default="lexicographic"))
    with op.batch_alter_table("doctor_period") as batch:
        batch.add_column(_json("max_shifts_per_site", "{}"))
        batch.add_column(sa.Column("min_hours", sa.Float(), nullable=True))
        batch.add_column(_json("max_shifts_by_kind", "{}"))
        for name in ("min_consecutive_days", "min_days_off", "max_weekends"):
            batch.add_column(sa.Column(name, sa.Integer(), nullable=True))
        batch.add_column(_json("wishes", "{}"))

    for table, source in PERIOD_FROM.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("period_id", sa.String(), nullable=True))
        op.execute(f"UPDATE {table} SET period_id = ({source})")
    # References to the slot's old key go before the key itself.
    for table in CHILDREN:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_slot_id_slot", type_="foreignkey")
            batch.drop_index(f"ix_{table}_slot_id")

    with op.batch_alter_table("slot") as batch:
        batch.add_column(sa.Column("kind", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("max_seats", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("over_cover_cost", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.drop_index("ix_slot_period_id")
        batch.drop_constraint("pk_slot", type_="primary")
        batch.create_primary_key("pk_slot", ["period_id", "id"])

    for table in CHILDREN:
        with op.batch_alter_table(table) as batch:
            if table in PERIOD_FROM:
                batch.alter_column("period_id", existing_type=sa.String(), nullable=False)
            if table in NEW_KEYS:
                batch.drop_constraint(f"pk_{table}", type_="primary")
                batch.create_primary_key(f"pk_{table}", NEW_KEYS[table])
            batch.create_foreign_key(f"fk_{table}_period_id_slot_id_slot", "slot",
                                     ["period_id", "slot_id"], ["period_id", "id"])
            batch.create_index(f"ix_{table}_period_id_slot_id", ["period_id", "slot_id"])

    op.create_table(
        "removal",
        sa.Column("period_id", sa.String(), nullable=False),
        sa.Column("doctor_id", sa.String(), nullable=False),
        sa.Column("slot_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["doctor_id"], ["doctor.id"],
                                name=op.f("fk_removal_doctor_id_doctor")),
        sa.ForeignKeyConstraint(["period_id", "slot_id"], ["slot.period_id", "slot.id"],
                                name="fk_removal_period_id_slot_id_slot"),
        sa.PrimaryKeyConstraint("period_id", "doctor_id", "slot_id", name=op.f("pk_removal")),
    )
    op.create_index("ix_removal_period_id_slot_id", "removal", ["period_id", "slot_id"])


def downgrade() -> None:
    """Back to slot ids unique across periods: fails if two periods share a slot id."""
    op.drop_index("ix_removal_period_id_slot_id", table_name="removal")
    op.drop_table("removal")
    for table in CHILDREN:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_period_id_slot_id")
            batch.drop_constraint(f"fk_{table}_period_id_slot_id_slot", type_="foreignkey")
            if table in OLD_KEYS:
                batch.drop_constraint(f"pk_{table}", type_="primary")
                batch.create_primary_key(f"pk_{table}", OLD_KEYS[table])
    with op.batch_alter_table("slot") as batch:
        batch.drop_constraint("pk_slot", type_="primary")
        batch.create_primary_key("pk_slot", ["id"])
        batch.create_index("ix_slot_period_id", ["period_id"])
        for name in ("over_cover_cost", "max_seats", "kind"):
            batch.drop_column(name)
    for table in CHILDREN:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(f"fk_{table}_slot_id_slot", "slot", ["slot_id"], ["id"])
            batch.create_index(f"ix_{table}_slot_id", ["slot_id"])
            if table in PERIOD_FROM:
                batch.drop_column("period_id")
    with op.batch_alter_table("doctor_period") as batch:
        for name in ("wishes", "max_weekends", "min_days_off", "min_consecutive_days",
                     "max_shifts_by_kind", "min_hours", "max_shifts_per_site"):
            batch.drop_column(name)
    with op.batch_alter_table("tension_period") as batch:
        for name in ("objective_mode", "forbidden_successions", "max_shifts_per_day"):
            batch.drop_column(name)
