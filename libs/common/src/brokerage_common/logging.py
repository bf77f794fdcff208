"""JSON logs in which a phone number or a resident ID number can never appear."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

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

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        processed = super().process_log_record(log_data)
        return {str(_mask_value(k)): _mask_value(v) for k, v in processed.items()}

    def format(self, record: logging.LogRecord) -> str:
        return mask_pii(super().format(record))


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_pii(super().format(record))


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
