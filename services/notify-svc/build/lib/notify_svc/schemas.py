"""The API types every domain's shapes use (each domain keeps its shapes in its own schemas.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

ChannelName = Literal["sms", "im", "email"]
CategoryName = Literal["service", "marketing", "advisory", "staff_alert"]
StateName = Literal[
    "pending",
    "suppressed",
    "scheduled",
    "submitting",
    "accepted",
    "delivered",
    "undelivered",
    "failed",
    "unknown",
    "reconciled",
    "expired",
]


def _no_control_chars(value: str) -> str:
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise ValueError("control characters are not allowed")
    return value


Text = Annotated[str, AfterValidator(_no_control_chars)]
Code = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{0,63}$", examples=["TIER_UP"])]
SecurityCode = Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,16}$", examples=["732123"])]
Params = Annotated[
    dict[
        Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,31}$")],
        Annotated[Text, Field(max_length=200)],
    ],
    Field(max_length=20),
]
# Calendar data (exchange and holidays) covers these years: a date outside cannot be planned.
_EARLIEST, _LATEST = date(2000, 1, 1), date(2099, 12, 31)


def in_range(value: date | datetime | None, name: str) -> None:
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if not _EARLIEST <= day <= _LATEST:
        raise ValueError(f"{name} must be between {_EARLIEST} and {_LATEST}")


# --------------------------------------------------------------------------- provider callbacks
