"""Per customer per month figures kept incrementally from events, and their dedupe keys."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Column, text
from sqlmodel import Field

from ..db import MONEY, Base

# Set-based upserts name only the columns they change: the others start at zero.
_ZERO = {"server_default": text("0")}


class CustomerMonthFigure(Base, table=True):
    """One customer's month: start and end assets, net inflow, traded amount, commission.

    ``start_*`` is the month's first snapshot, ``end_*`` its last; ``net_inflow`` sums the
    days after the first (the first day's inflow is inside ``start_assets`` already, kept in
    ``first_inflow`` for when an earlier day arrives late). ``days_mask`` has a bit per
    day applied, so a snapshot redelivered under a new event id changes nothing.
    """

    __tablename__ = "customer_month_figure"

    customer_id: str = Field(primary_key=True, max_length=32)
    month: str = Field(primary_key=True, max_length=7, index=True)
    start_on: date | None = None
    start_assets: Decimal = Field(default=Decimal(0), sa_type=MONEY, sa_column_kwargs=_ZERO)
    first_inflow: Decimal = Field(default=Decimal(0), sa_type=MONEY, sa_column_kwargs=_ZERO)
    end_on: date | None = None
    end_assets: Decimal = Field(default=Decimal(0), sa_type=MONEY, sa_column_kwargs=_ZERO)
    net_inflow: Decimal = Field(default=Decimal(0), sa_type=MONEY, sa_column_kwargs=_ZERO)
    assets_sum: Decimal = Field(default=Decimal(0), sa_type=MONEY, sa_column_kwargs=_ZERO)
    asset_days: int = Field(default=0, sa_column_kwargs=_ZERO)
    # assets_sum / asset_days to the fen, kept with them: month end divides nothing.
    average_assets: Decimal = Field(default=Decimal(0), sa_type=MONEY, sa_column_kwargs=_ZERO)
    days_mask: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default=text("0"))
    )
    traded_amount: Decimal = Field(default=Decimal(0), sa_type=MONEY, sa_column_kwargs=_ZERO)
    commission: Decimal = Field(default=Decimal(0), sa_type=MONEY, sa_column_kwargs=_ZERO)
    contacts: int = Field(default=0, sa_column_kwargs=_ZERO)
    referrals: int = Field(default=0, sa_column_kwargs=_ZERO)


class SettledTradeRow(Base, table=True):
    """A trade applied to a month (its id is the dedupe key; a cancel reverses it once)."""

    __tablename__ = "settled_trade"

    trade_id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=32)
    month: str = Field(max_length=7)
    amount: Decimal = Field(sa_type=MONEY)
    commission: Decimal = Field(sa_type=MONEY)
    cancelled: bool = False


class CrmContact(Base, table=True):
    """A CRM contact counted once per interaction id (CRM completeness)."""

    __tablename__ = "crm_contact"

    interaction_id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=32)
    month: str = Field(max_length=7)
