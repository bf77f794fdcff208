"""JSON logs in which a phone number or a resident ID number can never appear.

Every line has an ISO 8601 time with its UTC offset, the logger named for its module,
and what it was written for (ADR 0019): the request id and trace id of the HTTP request
being handled, the event id (and trace id) of the event a consumer is handling.
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from .tracing import current_events, current_request, event_fields

# Mainland mobile numbers (optionally +86) and 18-character resident ID numbers, wherever they
# stand in a line: message, extra fields, exception text, access-log query strings. People
# write them in groups ("139 1234 5678", "139-1234-5678", "110101 19900307 1234") and in
# full-width digits ("１３９１２３４５６７８"): one space or dash (half- or full-width) may stand
# between any two digits, and ``\d`` is Unicode's, so full-width digits count.
_SEP = "[ \\-\u3000\uff0d]?"
_SEPARATORS = re.compile("[ \\-\u3000\uff0d]")
_PHONE = re.compile(rf"(?<!\d)(?:[+＋]?[8８][6６]{_SEP})?([1１][3-9３-９](?:{_SEP}\d){{9}})(?!\d)")
# Only a digit may not touch the number on the left: a letter there is often the tail of an
# escape ("\n", "\u53f7") or a label ("id110..."), and the number must be masked all the same.
_ID_NUMBER = re.compile(rf"(?<!\d)(\d(?:{_SEP}\d){{16}}{_SEP}[\dXxＸｘ])(?![\dA-Za-z])")


def _mask_id(m: re.Match[str]) -> str:
    digits = _SEPARATORS.sub("", m.group(1))
    return f"{digits[:3]}***********{digits[-4:]}"


def _mask_phone(m: re.Match[str]) -> str:
    digits = _SEPARATORS.sub("", m.group(1))
    return f"{digits[:3]}****{digits[-4:]}"


def mask_pii(text: str) -> str:
    """Replace every phone number and ID number in ``text`` by its masked form."""
    return _PHONE.sub(_mask_phone, _ID_NUMBER.sub(_mask_id, text))


def _mask_value(value: Any) -> Any:
    """Mask the strings inside a log field; a number that is a phone becomes its masked string."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        text = str(value)
        masked = mask_pii(text)
        return value if masked == text else masked
    if isinstance(value, dict):
        return {
            _mask_value(k) if isinstance(k, str) else k: _mask_value(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask_value(v) for v in value]
    return value


def iso_time(record: logging.LogRecord) -> str:
    """The record's time as ISO 8601 with milliseconds and the local UTC offset
    (``2026-12-04T15:00:00.123+08:00``): ``datetime.fromisoformat`` reads it back aware."""
    return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


class ContextFilter(logging.Filter):
    """Adds the request's and the handled event's ids to every record (never drops one).

    On the handler, so records of every logger (uvicorn's, SQLAlchemy's, ours) get them.
    The ids are looked up from contextvars only here, when a line is written: a consumer
    sets what it handles once per batch and builds no string per event.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = current_request.get()
        if request is not None:
            record.request_id = request.request_id
            record.trace_id = request.trace.trace_id
            record.span_id = request.trace.span_id
        handling = current_events.get()
        if handling is not None:
            for key, value in event_fields(handling).items():
                setattr(record, key, value)
        if record.name == "__main__":
            # ``python -m package.module``: the module's own name, not __main__.
            record.name = _main_module_name()
        return True


def _main_module_name() -> str:
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return str(getattr(spec, "name", None) or "__main__")


_CONTEXT_FIELDS = ("request_id", "trace_id", "event_id", "event_ids", "event_count")


class MaskingJsonFormatter(JsonFormatter):
    """Formats a record as one JSON line with personal numbers masked.

    Fields are masked before serialisation (so a Chinese character or an escape right
    before a number cannot hide it, and the line stays valid JSON), and the finished line
    is masked once more for whatever a custom object's ``str`` brought in.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Non-ASCII text stays as itself: "号13800001234" must not turn into "\u53f713800001234".
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return iso_time(record)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        processed = super().process_log_record(log_data)
        return {str(_mask_value(k)): _mask_value(v) for k, v in processed.items()}

    def format(self, record: logging.LogRecord) -> str:
        return mask_pii(super().format(record))


class MaskingFormatter(logging.Formatter):
    """Text lines (``LOG_JSON=false``): the same masking, ISO times and context ids."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return iso_time(record)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(
            f"{key}={getattr(record, key)}" for key in _CONTEXT_FIELDS if hasattr(record, key)
        )
        return mask_pii(f"{line} [{context}]" if context else line)


def configure_logging(*, service: str, level: str = "INFO", json: bool = True) -> None:
    """Route the root, uvicorn and library loggers through one masking handler on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    if json:
        handler.setFormatter(
            MaskingJsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"levelname": "level", "asctime": "time", "name": "logger"},
                static_fields={"service": service},
            )
        )
    else:
        handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "aiokafka", "sqlalchemy", "alembic"):
        lg = logging.getLogger(name)
        if not lg.propagate and not lg.handlers:
            # Switched off on purpose (uvicorn --no-access-log): a logger with nowhere to
            # write costs uvicorn nothing per request; routed here, every request would
            # build its access-log arguments, even below the level.
            continue
        lg.handlers = []
        lg.propagate = True
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
