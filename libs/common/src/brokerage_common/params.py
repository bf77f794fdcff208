"""Bounded request parameters the services share (issue 16, items 4 and 6).

An unbounded string in a path reaches the database: a NUL is a 500 on PostgreSQL (its text
type refuses it), 10 kB is a query for nothing. An integer past BIGINT overflows the driver.
Each type here is the domain's bound, refused with 422 before a route runs.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, Field

from .events import EARLIEST_TIME, LATEST_TIME

DB_ID_MAX = 2**63 - 1
"""The largest BIGINT: an id parameter above it cannot name a row and overflows the driver."""

ID_PATTERN = r"^[A-Za-z0-9_-]+$"
"""What every id the services make or receive is spelled with (customer, branch, staff, group,
case, message ids: letters, digits, ``_`` and ``-``)."""

CustomerIdPath = Annotated[str, Path(min_length=1, max_length=32, pattern=ID_PATTERN)]
"""A customer id in a path, as every service spells it (the column is 32 characters)."""

IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
"""Any other row's id in a path (the widest id column is 64 characters)."""

BranchIdQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=32,
        pattern=ID_PATTERN,
        description="headquarters: the branch to read; other staff: their own only",
    ),
]
"""An optional ``?branch_id=`` (HQ naming a branch)."""

EARLIEST_DAY = EARLIEST_TIME.date()
LATEST_DAY = LATEST_TIME.date() - timedelta(days=1)
BoundedDate = Annotated[date, Field(ge=EARLIEST_DAY, le=LATEST_DAY)]
"""A business day, 2000-01-01 to 2099-12-31 like every timestamp (events.BoundedDatetime): the
calendars cover no other years, and month arithmetic on 0001-01-01 or 9999-12-31 overflows."""

# C0 and C1 controls, DEL, and the bidirectional formatting characters (U+202E RIGHT-TO-LEFT
# OVERRIDE and its kin): they make a name display as something else than it is.
_NOT_IN_A_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def refuse_control_characters(value: str) -> str:
    """``value`` unchanged, or ValueError if it holds a control or bidirectional character."""
    if _NOT_IN_A_NAME.search(value):
        raise ValueError("a name may not contain control or bidirectional formatting characters")
    return value


Name = Annotated[str, AfterValidator(refuse_control_characters)]
"""A name shown to people (a staff member's, a group's, a campaign's, a security's): no
control characters (NUL included) and no bidirectional overrides."""
