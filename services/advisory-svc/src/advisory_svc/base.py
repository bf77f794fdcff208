"""The SQLModel base of advisory-svc's tables (its own metadata) and shared column types."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, MetaData, Numeric
from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from brokerage_common.db import NAMING_CONVENTION

MONEY = Numeric(18, 2)
RATE = Numeric(10, 8)
PRICE = Numeric(18, 4)
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(SQLModel, registry=registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))):
    """advisory-svc's own metadata (as ``brokerage_common.db.service_base`` gives), written as a
    class so the type checker knows the tables' base."""
