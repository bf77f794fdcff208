"""The service's one metadata (every subpackage's tables) and its platform tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Integer, Numeric

from brokerage_common.db import service_base
from brokerage_common.tables import platform_tables

if TYPE_CHECKING:
    # mypy cannot take a base class from a call; at run time the tables get this service's
    # own metadata (service_base), which is a SQLModel all the same.
    from sqlmodel import SQLModel as Base
else:
    Base = service_base()
PLATFORM = platform_tables(Base.metadata)
__all__ = ["MONEY", "PLATFORM", "RATIO", "Base", "BigId"]

MONEY = Numeric(18, 2)
RATIO = Numeric(18, 6)
BigId = BigInteger().with_variant(Integer(), "sqlite")
