"""profile-svc's table base (its own metadata), shared column types and the platform tables."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, Numeric, Table, inspect
from sqlmodel import SQLModel

from brokerage_common.db import service_registry
from brokerage_common.tables import platform_tables


class Base(SQLModel, registry=service_registry()):
    """Every profile-svc table derives from this: one metadata for the service's migrations."""


MONEY = Numeric(18, 2)
RATIO = Numeric(18, 4)
BigId = BigInteger().with_variant(Integer(), "sqlite")

PLATFORM = platform_tables(Base.metadata)
metadata = Base.metadata


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a mapped class, typed (SQLModel declares no ``__table__`` for mypy)."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to one table")
    return table
