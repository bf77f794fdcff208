"""service groups and customer assignments from ops-assessment-svc; the transfer alert names
its owner

The catalog's ``TRANSFER_ALERT`` now says who owns the alert (``{owner}``: the service group,
or the branch). A database still on the untouched version 1 of the catalog gets the new text
as version 2; a version staff published is left alone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 14:10:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_TEXT = (
    "【转托管/撤销指定提醒】营业部{branch_id}客户{customer_id}（{name}）于{requested_at}"
    "申请{kind}（{market}），原因：{reason}。请服务小组立即联系客户。"
)
NEW_TEXT = (
    "【转托管/撤销指定提醒】营业部{branch_id}客户{customer_id}（{name}）于{requested_at}"
    "申请{kind}（{market}），原因：{reason}。负责：{owner}，请立即联系客户。"
)


def upgrade() -> None:
    op.create_table(
        "service_group",
        sa.Column("group_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("branch_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("alert_channel", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("members", sa.Text(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_service_group")),
    )
    op.create_table(
        "customer_group",
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("group_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("branch_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("assigned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_group")),
    )
    template = sa.table(
        "template",
        sa.column("code", sa.String),
        sa.column("version", sa.Integer),
        sa.column("channel", sa.String),
        sa.column("category", sa.String),
        sa.column("text", sa.Text),
        sa.column("active", sa.Boolean),
        sa.column("created_by", sa.String),
        sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    bind = op.get_bind()
    versions = bind.execute(
        sa.select(template.c.version, template.c.text, template.c.created_by).where(
            template.c.code == "TRANSFER_ALERT", template.c.channel == "im"
        )
    ).all()
    if [tuple(v) for v in versions] != [(1, OLD_TEXT, "system")]:
        return
    bind.execute(
        sa.update(template)
        .where(template.c.code == "TRANSFER_ALERT", template.c.channel == "im")
        .values(active=False)
    )
    bind.execute(
        sa.insert(template).values(
            code="TRANSFER_ALERT",
            version=2,
            channel="im",
            category="staff_alert",
            text=NEW_TEXT,
            active=True,
            created_by="system",
            created_at=datetime.now(UTC),
        )
    )


def downgrade() -> None:
    # The old code gives no {owner}: back to the catalog's version 1 if this upgrade added 2.
    op.execute(
        "DELETE FROM template WHERE code = 'TRANSFER_ALERT' AND channel = 'im' AND version = 2"
        " AND created_by = 'system'"
    )
    op.execute(
        "UPDATE template SET active = (version = 1) WHERE code = 'TRANSFER_ALERT'"
        " AND channel = 'im' AND NOT EXISTS (SELECT 1 FROM template t WHERE t.code ="
        " 'TRANSFER_ALERT' AND t.channel = 'im' AND t.version > 1)"
    )
    op.drop_table("customer_group")
    op.drop_table("service_group")
