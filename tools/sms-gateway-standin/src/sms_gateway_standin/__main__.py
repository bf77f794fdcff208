"""``python -m sms_gateway_standin``: serve the stand-in with uvicorn, configured from env."""

import logging
import os

import uvicorn

from sms_gateway_standin.app import Settings, create_app


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # httpx logs every callback at INFO: thousands of lines under load.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = Settings.from_env()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        # The access log would print query strings; the stand-in logs counts only.
        access_log=False,
        # Sends held back by timeout_rate must not delay a shutdown for long.
        timeout_graceful_shutdown=2,
    )


if __name__ == "__main__":
    main()
