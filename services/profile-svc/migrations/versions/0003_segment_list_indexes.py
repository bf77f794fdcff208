"""segment lists: value segment by assets / by commission, largest first

GET /v1/segments/{segment}/customers of a value segment sorted by assets or contribution
read a page in index order (stopping at offset + limit) instead of joining and sorting the
whole segment (issue #15: EXPLAIN on a branch of 50,000 customers, first page 33 ms → 0.5 ms).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 15:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer_segment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_segment_by_assets",
            ["value_segment", "total_assets", "customer_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_customer_segment_by_commission",
            ["value_segment", "commission", "customer_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_segment", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_segment_by_commission")
        batch_op.drop_index("ix_customer_segment_by_assets")
