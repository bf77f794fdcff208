"""``python -m sms_gateway_standin``: serve the stand-in with uvicorn, configured from env."""

import logging
import os
from datetime import datetime

import uvicorn

from sms_gateway_standin.app import Settings, create_app


class IsoTimeFormatter(logging.Formatter):
    """ISO 8601 times with the UTC offset (``2026-12-04T15:00:00.123+08:00``), as the
    platform's processes write them (ADR 0019)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return (
            datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")
        )


def configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(IsoTimeFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), handlers=[handler], force=True)


def main() -> None:
    configure_logging()
    # httpx logs every callback at INFO: thousands of lines under load.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = Settings.from_env()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        # The access log would print query strings; the stand-in logs counts only.
        access_log=False,
        # uvicorn's own lines go through the root handler above, with the same times.
        log_config=None,
        # Sends held back by timeout_rate must not delay a shutdown for long.
        timeout_graceful_shutdown=2,
    )


if __name__ == "__main__":
    main()
