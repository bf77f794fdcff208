"""notify-svc tables: recipients (read model), templates, messages, raw delivery reports, campaigns.

A message row exists before anything is sent, and its ``dedupe_key`` (trigger + template +
recipient) is unique, so a repeated trigger can never create a second message.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Column, Index, Integer, Table, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from brokerage_common.db import service_base
from brokerage_common.tables import platform_tables

if TYPE_CHECKING:
    # service_base() makes the class at run time (its own metadata); mypy cannot see a
    # class in a function's result, so it checks the tables against SQLModel itself.
    Base = SQLModel
else:
    Base = service_base()
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Recipient(Base, table=True):
    """What notify-svc knows of a customer (from CustomerRegistered / CustomerProfileUpdated)."""

    __tablename__ = "recipient"
    __table_args__ = (
        Index("ix_recipient_branch_id_customer_id", "branch_id", "customer_id"),
        Index("ix_recipient_birth_month_day", "birth_month_day"),
    )

    customer_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    phone: str | None = Field(default=None, max_length=16, index=True)
    email: str | None = Field(default=None, max_length=254)
    channels: str = Field(default="sms", max_length=64)  # preferred channels, in order, CSV
    preferred_channel: str = Field(default="sms", max_length=8)  # first one we can deliver on
    marketing_consent: bool = False
    # Time of the fact that last set the consent: an older event cannot undo a newer opt-out.
    consent_changed_at: datetime | None = None
    branch_id: str = Field(max_length=32)
    birth_month_day: str | None = Field(default=None, max_length=5)
    status: str = Field(default="active", max_length=24)
    updated_at: datetime


class SmsOptOut(Base, table=True):
    """A number that replied T / TD / 退订: no marketing SMS to it, whoever it belongs to."""

    __tablename__ = "sms_opt_out"

    phone: str = Field(primary_key=True, max_length=16)
    opted_out_at: datetime
    source: str = Field(default="reply", max_length=16)


class Agreement(Base, table=True):
    """An advisory agreement (投资顾问协议) as advisory-svc published it: the read model the
    advisory suppression rule reads (``AdvisoryAgreementSigned`` / ``...Rescinded``).

    Keyed by advisory's agreement id, not tied to a known recipient: an agreement of a
    customer we have not heard of yet waits here until the customer appears. A rescission
    that overtakes its signing is kept too (signed fields null until the signing arrives).
    """

    __tablename__ = "agreement"

    agreement_id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=32, index=True)
    agreement_no: str | None = Field(default=None, max_length=64)
    signed_on: date | None = None
    advice_from: date | None = None  # the day after the cooling-off
    valid_until: date | None = None
    rescinded_on: date | None = None
    source: str = Field(default="advisory", max_length=16)  # advisory | notify (migrated)
    updated_at: datetime


class ServiceGroup(Base, table=True):
    """A service group (客户服务小组) as ops-assessment-svc published it (``ServiceGroupChanged``):
    where its alerts go and who is in it. Newest ``changed_at`` wins, so a replay changes
    nothing."""

    __tablename__ = "service_group"

    group_id: str = Field(primary_key=True, max_length=64)
    branch_id: str = Field(max_length=32)
    name: str = Field(max_length=100)
    state: str = Field(max_length=16)  # active | dissolved
    alert_channel: str = Field(max_length=100)
    members: str = Field(default="[]", sa_type=Text)  # JSON [{"staff_id", "role"}], in order
    changed_at: datetime
    updated_at: datetime


class CustomerGroup(Base, table=True):
    """A customer's service group (``CustomerAssigned``; ``group_id`` null: the branch queue).

    Not tied to a known recipient: ops may assign a customer notify has not met yet, and a
    transfer alert for them can then go to the group at once. The newest assignment wins by
    (``effective_on``, ``assigned_at`` = the event's time), so a replayed older one changes
    nothing.
    """

    __tablename__ = "customer_group"

    customer_id: str = Field(primary_key=True, max_length=32)
    group_id: str | None = Field(default=None, max_length=64)
    branch_id: str = Field(max_length=32)
    month: str = Field(max_length=7)
    effective_on: date
    assigned_at: datetime
    updated_at: datetime


class Content(Base, table=True):
    """A piece of advisory content (``ContentPublished``), delivered through a campaign."""

    __tablename__ = "content"

    content_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=32)
    title: str = Field(max_length=200)
    body: str = Field(sa_type=Text)
    advice: bool
    risk_level: str = Field(max_length=8)
    branch_id: str = Field(max_length=32)
    chunk_count: int
    published_at: datetime
    received_at: datetime


class ContentChunk(Base, table=True):
    """One ``ContentAudienceResolved`` chunk: kept until its piece is known, planned once."""

    __tablename__ = "content_chunk"
    __table_args__ = (
        # The worker's look for customers a chunk still waits for: a small partial index.
        Index(
            "ix_content_chunk_waiting",
            "received_at",
            postgresql_where=text("waiting IS NOT NULL"),
            sqlite_where=text("waiting IS NOT NULL"),
        ),
    )

    content_id: str = Field(primary_key=True, max_length=64)
    chunk_no: int = Field(primary_key=True)
    customer_ids: str = Field(sa_type=Text)  # JSON list
    received_at: datetime
    planned_at: datetime | None = None
    planned: int = 0  # messages this chunk added (a customer already planned adds none)
    used: int = 0  # message ids taken from the chunk's slice of the campaign's id range
    # Ids not known to notify when planned (JSON list): planned when they appear, until
    # pending_timeout_h after the chunk came; null when none wait.
    waiting: str | None = Field(default=None, sa_type=Text)


class Template(Base, table=True):
    """One version of a message template for one channel; one active version per (code, channel)."""

    __tablename__ = "template"
    __table_args__ = (UniqueConstraint("code", "channel", "version"),)

    id: int | None = Field(
        default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True)
    )
    code: str = Field(max_length=64)
    version: int
    channel: str = Field(max_length=8)
    category: str = Field(max_length=16)
    text: str = Field(sa_type=Text)
    subject: str | None = Field(default=None, max_length=200)
    provider_template_code: str | None = Field(default=None, max_length=64)
    active: bool = True
    created_by: str = Field(max_length=64)
    created_at: datetime


class Campaign(Base, table=True):
    """A group message to a set of customers, expanded into messages by the worker in chunks."""

    __tablename__ = "campaign"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    template_code: str = Field(max_length=64)
    category: str = Field(max_length=16)
    params: str = Field(default="{}", sa_type=Text)
    # customers (the listed ids) | branch (its consenting customers) | all | birthday
    kind: str = Field(max_length=16)
    branch_id: str | None = Field(default=None, max_length=32)
    month_day: str | None = Field(default=None, max_length=5)
    customer_ids: str | None = Field(default=None, sa_type=Text)  # JSON list for kind customers
    send_at: datetime | None = None
    state: str = Field(default="planned", max_length=16)  # planned | expanding | expanded
    cursor: str = Field(default="", max_length=64)
    seq: int = 0  # message ids used so far in the campaign's id range
    planned: int = 0
    skipped: int = 0
    created_by: str = Field(max_length=64)
    created_at: datetime
    expanded_at: datetime | None = None


class Message(Base, table=True):
    """One message to one recipient on one channel, and where it is in its life (rules.State)."""

    __tablename__ = "message"
    __table_args__ = (
        # The sender's claim: due messages per channel, a small partial index.
        Index(
            "ix_message_due",
            "channel",
            "next_attempt_at",
            postgresql_where=text("state IN ('scheduled', 'reconciled')"),
            sqlite_where=text("state IN ('scheduled', 'reconciled')"),
        ),
        # The reconciler's work: sends waiting for a report, a status query or a dead sender.
        Index(
            "ix_message_check",
            "next_attempt_at",
            postgresql_where=text("state IN ('submitting', 'accepted', 'unknown')"),
            sqlite_where=text("state IN ('submitting', 'accepted', 'unknown')"),
        ),
        Index(
            "ix_message_pending",
            "created_at",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
        Index("ix_message_customer_id_send_on", "customer_id", "send_on"),
        # Reports find their message by out_id; planned rows have none yet (cheaper inserts).
        Index(
            "ix_message_out_id",
            "out_id",
            postgresql_where=text("out_id IS NOT NULL"),
            sqlite_where=text("out_id IS NOT NULL"),
        ),
    )

    id: str = Field(primary_key=True, max_length=32)
    dedupe_key: str = Field(max_length=128, unique=True)  # rules.ordered_dedupe_key
    trigger_ref: str = Field(max_length=160)
    customer_id: str | None = Field(default=None, max_length=32)
    # Not indexed: a campaign's messages have ids in their own range (service.campaign_ids).
    campaign_id: str | None = Field(default=None, max_length=64)
    channel: str = Field(max_length=8)
    category: str = Field(max_length=16)
    template_code: str = Field(max_length=64)
    template_version: int | None = None
    provider_template_code: str | None = Field(default=None, max_length=64)
    params: str = Field(default="{}", sa_type=Text)  # canonical JSON, the batching key
    subject: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, sa_type=Text)  # campaign messages: on the campaign
    address: str = Field(default="", max_length=254)  # phone, e-mail, or IM route
    state: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=200)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    send_on: date | None = None  # Beijing day of the planned send: the daily cap counts it
    out_id: str | None = Field(default=None, max_length=64)
    biz_id: str | None = Field(default=None, max_length=64)
    solo: bool = False  # send alone: a multi-number send of it was refused for one number
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None
    accepted_at: datetime | None = None
    finished_at: datetime | None = None


class DeliveryReport(Base, table=True):
    """A delivery report as the provider sent it (or a status query returned it), applied later."""

    __tablename__ = "delivery_report"
    __table_args__ = (
        Index(
            "ix_delivery_report_unapplied",
            "next_check_at",
            postgresql_where=text("applied_at IS NULL"),
            sqlite_where=text("applied_at IS NULL"),
        ),
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True)
    )
    out_id: str = Field(max_length=255)
    phone_number: str = Field(max_length=32)
    success: bool
    err_code: str | None = Field(default=None, max_length=64)
    report_time: str | None = Field(default=None, max_length=32)
    biz_id: str | None = Field(default=None, max_length=64)
    source: str = Field(default="callback", max_length=16)  # callback | query
    received_at: datetime
    next_check_at: datetime
    applied_at: datetime | None = None
    message_id: str | None = Field(default=None, max_length=32)


class Circuit(Base, table=True):
    """The circuit breaker of one gateway, shared by every worker replica."""

    __tablename__ = "circuit"

    name: str = Field(primary_key=True, max_length=32)
    state: str = Field(default="closed", max_length=16)  # closed | open | half_open
    reason: str | None = Field(default=None, max_length=120)
    opened_at: datetime | None = None
    retry_at: datetime | None = None
    updated_at: datetime


PLATFORM = platform_tables(Base.metadata)
metadata = Base.metadata


def table(model: type[SQLModel]) -> Table:
    """The Core table of a model, typed (SQLModel does not declare ``__table__``)."""
    found: Table = model.metadata.tables[str(model.__tablename__)]
    return found
