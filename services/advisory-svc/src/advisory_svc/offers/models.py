"""The change marker the API processes follow to keep their offers read model current."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from ..base import Base


class OfferChange(Base, table=True):
    """When something a customer's offers depend on last changed (ADR 0010, "Offers").

    Written in the same transaction as the change (facts, subscriptions, agreements), one
    row per customer; each API process re-reads the customers whose row moved.
    """

    __tablename__ = "offer_change"

    customer_id: str = Field(primary_key=True, max_length=32)
    changed_at: datetime

    __table_args__ = (Index("ix_offer_change_changed_at", "changed_at"),)
