"""sms-gateway-standin: a local stand-in for the SMS provider's HTTP contract (sms-gateway.md).

Accepts sends on POST /sms/send (Authorization: Bearer <key>), records them, answers
GET /sms/status, and calls notify-svc back with delivery reports and replies. Test switches
(failures, timeouts, report order) are set at run time through POST /_control.

Every option falls back to its environment variable (STANDIN_*; SMS_GATEWAY_KEY and
NOTIFY_SVC_URL as docker-compose sets them), then to the default shown.
"""

from __future__ import annotations

import argparse
import logging
import os
from dataclasses import replace
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


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(IsoTimeFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)


def parser() -> argparse.ArgumentParser:
    env = Settings.from_env()
    p = argparse.ArgumentParser(
        prog="sms-gateway-standin",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--host",
        default=env.host,
        help="address to listen on ($STANDIN_HOST; default: %(default)s)",
    )
    p.add_argument(
        "--port",
        type=int,
        default=env.port,
        help="port to listen on ($STANDIN_PORT; default: %(default)s)",
    )
    # The key and the token are never shown: the environment may hold real ones.
    p.add_argument(
        "--key",
        default=None,
        help=(
            "the key callers must send as Bearer ($STANDIN_KEY, else $SMS_GATEWAY_KEY, "
            "else the development key dev-sms-key)"
        ),
    )
    p.add_argument(
        "--callback-url",
        default=env.callback_url or "",
        metavar="URL",
        help=(
            "where delivery reports are posted; empty: none ($STANDIN_CALLBACK_URL, else "
            "$NOTIFY_SVC_URL/v1/sms/delivery-reports; default: %(default)s)"
        ),
    )
    p.add_argument(
        "--reply-url",
        default=env.reply_url or "",
        metavar="URL",
        help=(
            "where customers' replies are posted; empty: none ($STANDIN_REPLY_URL, else "
            "$NOTIFY_SVC_URL/v1/sms/replies; default: %(default)s)"
        ),
    )
    p.add_argument(
        "--callback-token",
        default=None,
        help="bearer token sent with the callbacks ($STANDIN_CALLBACK_TOKEN; default: none)",
    )
    p.add_argument(
        "--report-delay-ms",
        type=int,
        default=env.report_delay_ms,
        metavar="MS",
        help=(
            "delay between accepting an SMS and reporting its delivery "
            "($STANDIN_REPORT_DELAY_MS; default: %(default)s)"
        ),
    )
    p.add_argument(
        "--log-level",
        default=os.environ.get("LOG_LEVEL", "INFO"),
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level ($LOG_LEVEL; default: %(default)s); logs carry counts, never numbers",
    )
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    configure_logging(args.log_level)
    # httpx logs every callback at INFO: thousands of lines under load.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    env = Settings.from_env()
    settings = replace(
        env,
        host=args.host,
        port=args.port,
        key=args.key or env.key,
        callback_url=args.callback_url or None,
        reply_url=args.reply_url or None,
        callback_token=args.callback_token or env.callback_token,
        report_delay_ms=args.report_delay_ms,
    )
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
