"""customer_month: commission and points per customer and month, in place of
monthly_commission and points_balance

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POINTS = sa.Numeric(precision=18, scale=2)


def _current_month() -> str:
    """This month in China time, in the dialect's SQL (balances are booked to it)."""
    if op.get_bind().dialect.name == "postgresql":
        return "to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
    return "strftime('%Y-%m', 'now', '+8 hours')"


def upgrade() -> None:
    op.create_table(
        "customer_month",
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("commission", POINTS, nullable=False),
        sa.Column("points", POINTS, nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "month", name=op.f("pk_customer_month")),
    )
    # Commission keeps its months; a balance, whose months were never recorded, is booked
    # whole to the current month (the sum over months is the balance either way).
    op.execute(
        "INSERT INTO customer_month (customer_id, month, commission, points) "
        "SELECT customer_id, month, commission, 0 FROM monthly_commission"
    )
    op.execute(
        "INSERT INTO customer_month (customer_id, month, commission, points) "
        f"SELECT customer_id, {_current_month()}, 0, balance FROM points_balance WHERE true "
        "ON CONFLICT (customer_id, month) DO UPDATE SET points = excluded.points"
    )
    op.drop_table("monthly_commission")
    op.drop_table("points_balance")


def downgrade() -> None:
    op.create_table(
        "points_balance",
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("balance", POINTS, nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_points_balance")),
    )
    op.create_table(
        "monthly_commission",
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("commission", POINTS, nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "month", name=op.f("pk_monthly_commission")),
    )
    op.execute(
        "INSERT INTO points_balance (customer_id, balance) "
        "SELECT customer_id, sum(points) FROM customer_month GROUP BY customer_id"
    )
    op.execute(
        "INSERT INTO monthly_commission (customer_id, month, commission) "
        "SELECT customer_id, month, commission FROM customer_month WHERE commission <> 0"
    )
    op.drop_table("customer_month")
