"""advisory agreements as a read model of advisory-svc's events; advisory content

The staff-recorded ``advisory_agreement`` rows are carried into ``agreement`` as they are,
with ``advice_from = signed_on`` (their cooling-off is long over, ADR 0010) and
``rescinded_on = revoked_on``; then the old table goes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 13:40:00
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
    op.create_table(
        "agreement",
        sa.Column("agreement_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("agreement_no", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("advice_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("rescinded_on", sa.Date(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("agreement_id", name=op.f("pk_agreement")),
    )
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_customer_id"), ["customer_id"], unique=False)
    op.execute(
        "INSERT INTO agreement (agreement_id, customer_id, agreement_no, signed_on, advice_from,"
        " valid_until, rescinded_on, source, updated_at)"
        " SELECT id, customer_id, id, signed_on, signed_on, valid_until, revoked_on, 'notify',"
        " created_at FROM advisory_agreement"
    )
    with op.batch_alter_table("advisory_agreement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_advisory_agreement_customer_id"))
    op.drop_table("advisory_agreement")

    op.create_table(
        "content",
        sa.Column("content_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("advice", sa.Boolean(), nullable=False),
        sa.Column("risk_level", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("branch_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("content_id", name=op.f("pk_content")),
    )
    op.create_table(
        "content_chunk",
        sa.Column("content_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("chunk_no", sa.Integer(), nullable=False),
        sa.Column("customer_ids", sa.Text(), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("planned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("waiting", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("content_id", "chunk_no", name=op.f("pk_content_chunk")),
    )
    with op.batch_alter_table("content_chunk", schema=None) as batch_op:
        batch_op.create_index(
            "ix_content_chunk_waiting",
            ["received_at"],
            unique=False,
            postgresql_where=sa.text("waiting IS NOT NULL"),
            sqlite_where=sa.text("waiting IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("content_chunk", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_content_chunk_waiting",
            postgresql_where=sa.text("waiting IS NOT NULL"),
            sqlite_where=sa.text("waiting IS NOT NULL"),
        )
    op.drop_table("content_chunk")
    op.drop_table("content")
    op.create_table(
        "advisory_agreement",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_agreement")),
    )
    with op.batch_alter_table("advisory_agreement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_advisory_agreement_customer_id"), ["customer_id"], unique=False
        )
    # Only signed agreements fit the old table; a rescission becomes its revocation.
    op.execute(
        "INSERT INTO advisory_agreement (id, customer_id, signed_on, valid_until, revoked_on,"
        " recorded_by, created_at)"
        " SELECT agreement_id, customer_id, signed_on, valid_until, rescinded_on, source,"
        " updated_at FROM agreement WHERE signed_on IS NOT NULL"
    )
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_customer_id"))
    op.drop_table("agreement")
