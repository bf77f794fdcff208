"""Fast decoders for the hot event types (msgspec), stricter than their pydantic models.

A settlement day brings a million ``TradeSettled`` events in an hour; a msgspec struct
validates one at a fraction of what the pydantic envelope costs (ADR 0007). The pydantic
models in :mod:`brokerage_common.events` stay the contract (and the AsyncAPI
document); a wire struct here only ever *accepts less*:

- whatever it accepts, the pydantic model accepts with the same values
  (``libs/common/tests/test_wire.py`` checks this on generated and hand-picked
  payloads);
- whatever it refuses goes to the pydantic model, which decides — so a message
  is accepted or dead-lettered exactly as the contract says, only slower.

Money travels as a decimal *string* (a JSON number is refused here and left to
the contract's rule); the structs hand it out as ``Decimal``, like the contract.
Patterns end in ``\\Z`` because Python's ``$`` also matches before a final newline,
which the contract's (Rust) regex does not, and spell digits ``[0-9]`` because Python's
``\\d`` also matches other scripts' digits (``"１２"``), which the contract's JSON Schema
(ECMAScript ``\\d``) does not.

Where msgspec and the contract's parsers (jiter and speedate; orjson in
``events.parse_envelope``) differ, the wire side refuses:

- ``time`` is matched as text (RFC 3339, at most six fraction digits) and only then made
  a datetime: msgspec *rounds* a seventh fraction digit, pydantic truncates it;
- ``quantity`` stops at 2**63 - 1: orjson reads an integer past 2**64 - 1 as a float;
- the bytes are checked before decoding (see ``fast_decoder``): msgspec skips an unknown
  member's value without validating its UTF-8, integer length or nesting depth, any of
  which makes the contract refuse the whole message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

import msgspec
from msgspec.structs import force_setattr

from . import events as ev

_MONEY_RE = r"[0-9]{1,16}(?:\.[0-9]{1,2})?"
_PRICE_RE = r"[0-9]{1,14}(?:\.[0-9]{1,4})?"
_CUSTOMER_ID_RE = r"[A-Za-z0-9_-]+"
_MONEY = msgspec.Meta(pattern=rf"^{_MONEY_RE}\Z")
_I64_MAX = 2**63 - 1
"""Largest quantity (msgspec bounds must fit an int64): orjson, in ``events.parse_envelope``
and the consumer's fallback, reads an integer past 2**64 - 1 as a float."""
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:\.[0-9]{1,6})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
# The trade's patterned fields, checked in one match (one call instead of four): joined by
# NUL, which none of the sub-patterns admits, each still matches whole.
_TRADE_TEXT = re.compile(f"{_CUSTOMER_ID_RE}\x00{_PRICE_RE}\x00{_MONEY_RE}\x00{_MONEY_RE}")

if TYPE_CHECKING:
    _WireTime = datetime
else:
    # Decoded as text, checked and made an aware datetime by _WireEnvelope.__post_init__.
    _WireTime = str
_fromisoformat: Callable[[Any], datetime] = datetime.fromisoformat

WireMoney = Annotated[str, _MONEY]
"""A non-negative amount to the fen, as its decimal string (``Decimal(value)`` is exact)."""
CustomerIdText = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
"""Its pattern (``_CUSTOMER_ID_RE``) is checked by the struct holding it, in one match."""
Text16 = Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
Text32 = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Text64 = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Text100 = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class TradeSettledWire(msgspec.Struct, frozen=True, gc=False):
    """``TradeSettled`` data, value for value what :class:`events.TradeSettled` holds.

    Money is validated as text (``price_text`` …) and read as ``Decimal`` through the
    contract's names (``price``, ``amount``, ``commission``), converted on access: a
    handler written against the pydantic model works on this struct unchanged, and a
    field nobody reads costs nothing.
    """

    trade_id: Text64
    customer_id: CustomerIdText
    account_id: Text32
    market: Literal["SH", "SZ", "BJ"]
    security_code: Text16
    side: Literal["B", "S"]
    quantity: Annotated[int, msgspec.Meta(gt=0, le=_I64_MAX)]
    # Patterns checked in __post_init__ (_TRADE_TEXT): customer_id, price, amount, commission.
    price_text: str = msgspec.field(name="price")
    amount_text: str = msgspec.field(name="amount")
    commission_text: str = msgspec.field(name="commission")
    trade_date: date
    settled_on: date

    def __post_init__(self) -> None:
        # A ValueError here reaches the caller as a msgspec.ValidationError.
        if (
            _TRADE_TEXT.fullmatch(
                f"{self.customer_id}\x00{self.price_text}\x00{self.amount_text}\x00{self.commission_text}"
            )
            is None
        ):
            raise ValueError("customer_id, price, amount or commission does not match its pattern")
        if "\x00" in f"{self.trade_id}{self.account_id}{self.security_code}":
            raise ValueError("text must not contain NUL characters")  # as events.refuse_nul

    @property
    def price(self) -> Decimal:
        return Decimal(self.price_text)

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_text)

    @property
    def commission(self) -> Decimal:
        return Decimal(self.commission_text)


class _WireEnvelope(msgspec.Struct, frozen=True, gc=False, kw_only=True, tag_field="type"):
    """The CloudEvents envelope; ``type`` is the tag that picks the struct."""

    type: ClassVar[str]
    specversion: Literal["1.0"]
    id: Text64
    source: Text100
    time: _WireTime
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"

    def __post_init__(self) -> None:
        # Not msgspec's datetime: it rounds a 7th fraction digit, the contract truncates it.
        # The pattern admits at most six digits and needs an offset; a ValueError (the
        # pattern's, or fromisoformat's for 30 February) reaches the caller as a
        # msgspec.ValidationError.
        if isinstance(self.time, str):
            force_setattr(self, "time", _event_time(self.time))
        # As the contract's Envelope: no NUL in the text it stores.
        if "\x00" in f"{self.id}{self.source}":
            raise ValueError("text must not contain NUL characters")


@lru_cache(maxsize=4096)
def _event_time(text: str) -> datetime:
    """An envelope's ``time`` as an aware datetime; ValueError if it is not RFC 3339 with an
    offset and at most six fraction digits. Cached: a settlement run stamps thousands of
    events with the same second."""
    if _RFC3339.fullmatch(text) is None:
        raise ValueError("time is not an RFC 3339 date-time with an offset")
    return ev.check_time_bounds(_fromisoformat(text))


class TradeSettledEnvelope(_WireEnvelope, frozen=True, gc=False, tag="TradeSettled"):
    type: ClassVar[str] = ev.TradeSettled.TYPE
    data: TradeSettledWire

    def __post_init__(self) -> None:
        super().__post_init__()
        # As the contract's Envelope: a subject naming another customer is refused.
        if self.subject is not None and self.subject != self.data.customer_id:
            raise ValueError("envelope subject differs from data.customer_id (the event's key)")


class _NoneOfThese(_WireEnvelope, frozen=True, gc=False, tag="\x00"):
    """Never matches a real event: with it the decoder is always a tagged union, so an
    envelope without a ``type`` is refused (a lone tagged struct would not require it)."""

    def __post_init__(self) -> None:
        # JSON can spell the tag ("\u0000"): refuse it rather than return a dataless envelope.
        raise ValueError("not an event type with a fast path")


WIRE_ENVELOPES: Mapping[str, type[_WireEnvelope]] = {
    TradeSettledEnvelope.type: TradeSettledEnvelope,
}
"""Event type -> its wire envelope, for the types worth a fast path."""


def fast_decoder(event_types: set[str] | frozenset[str]) -> Callable[[bytes], Any] | None:
    """A decoder for those of ``event_types`` that have a wire struct (None if none has).

    It raises ``msgspec.ValidationError`` / ``msgspec.DecodeError`` for anything it does
    not accept, including every other event type: the caller then takes the contract's
    (pydantic) path.
    """
    chosen = [WIRE_ENVELOPES[t] for t in sorted(event_types) if t in WIRE_ENVELOPES]
    if not chosen:
        return None
    union: Any = _NoneOfThese
    for t in chosen:
        union = union | t
    decode = msgspec.json.Decoder(union).decode

    def fast_decode(raw: bytes) -> Any:
        # msgspec skips an unknown field's value without the checks the contract's parser
        # makes on the whole message; refuse whatever could fail them, before decoding.
        size = len(raw)
        if size > _SHORT and (
            size > _MAX_BYTES or raw.count(b"{") + raw.count(b"[") > _MAX_OPENERS
        ):
            raise msgspec.DecodeError("too large or too deeply nested for the fast path")
        if not raw.isascii():
            try:
                raw.decode()
            except UnicodeDecodeError as exc:
                raise msgspec.DecodeError(f"invalid UTF-8: {exc}") from None
        try:
            return decode(raw)
        except RecursionError:  # not a msgspec error: callers would not fall back on it
            raise msgspec.DecodeError("nested too deeply for the fast path") from None

    return fast_decode


_MAX_BYTES = 4096
"""Larger messages take the contract's path (it refuses integers of more than 4300 digits)."""
_MAX_OPENERS = 32
"""More ``{``/``[`` take the contract's path (it refuses nesting deeper than about 200)."""
_SHORT = 640
"""Messages this short are not counted (counting would cost more than it saves): nesting
200 deep takes 400 bytes of brackets on top of the ~300 of the shortest envelope the
struct accepts."""

FAST_DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError)

__all__ = [
    "FAST_DECODE_ERRORS",
    "WIRE_ENVELOPES",
    "TradeSettledEnvelope",
    "TradeSettledWire",
    "WireMoney",
    "fast_decoder",
]
