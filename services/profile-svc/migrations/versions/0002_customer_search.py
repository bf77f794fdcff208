"""customer search: phone_last4 and the indexes of the branch customer list

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 13:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "phone_last4", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True
            )
        )
    # Phones on file are normalised 11-digit mobile numbers; substr/length mean the same on
    # PostgreSQL and SQLite.
    op.execute("UPDATE customer SET phone_last4 = substr(phone, length(phone) - 3, 4)")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.alter_column("phone_last4", nullable=False)
        batch_op.create_index(
            "ix_customer_branch_customer", ["branch_id", "customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_customer_branch_name",
            ["branch_id", "name"],
            unique=False,
            postgresql_ops={"name": "text_pattern_ops"},
        )
        batch_op.create_index(
            "ix_customer_branch_phone_last4", ["branch_id", "phone_last4"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_branch_phone_last4")
        batch_op.drop_index("ix_customer_branch_name")
        batch_op.drop_index("ix_customer_branch_customer")
        batch_op.drop_column("phone_last4")
