"""offer_change: the marker API processes poll to keep the offers read model current

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('offer_change',
    sa.Column('customer_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_offer_change'))
    )
    with op.batch_alter_table('offer_change', schema=None) as batch_op:
        batch_op.create_index('ix_offer_change_changed_at', ['changed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('offer_change', schema=None) as batch_op:
        batch_op.drop_index('ix_offer_change_changed_at')
    op.drop_table('offer_change')
