"""customer_tier.group_id and group_month: the service group a customer is assigned to

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer_tier") as batch:
        batch.add_column(
            sa.Column("group_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch.add_column(
            sa.Column("group_month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_tier") as batch:
        batch.drop_column("group_month")
        batch.drop_column("group_id")
