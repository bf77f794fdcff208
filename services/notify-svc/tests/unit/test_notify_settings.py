"""Outside local/test the SMS gateway key must be a real secret (issue 16, item 5)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from notify_svc.config import DEV_SMS_GATEWAY_KEY, Settings

PG_URL = "postgresql+asyncpg://notify@db:5432/notify"
JWT = "a-production-jwt-secret-of-enough-length-0123456789"


@pytest.mark.parametrize("environment", ["staging", "production", "Production"])
@pytest.mark.parametrize("key", [DEV_SMS_GATEWAY_KEY, DEV_SMS_GATEWAY_KEY + " ", "short", ""])
def test_staging_and_production_refuse_a_development_or_weak_gateway_key(
    environment: str, key: str
) -> None:
    with pytest.raises(ValidationError, match="SMS_GATEWAY_KEY"):
        Settings(
            environment=environment, database_url=PG_URL, auth_jwt_secret=JWT, sms_gateway_key=key
        )


def test_a_real_key_is_kept_stripped() -> None:
    s = Settings(
        environment="staging", database_url=PG_URL, auth_jwt_secret=JWT, sms_gateway_key=" g" * 20
    )
    assert s.sms_gateway_key == ("g " * 20).strip()
    assert Settings(environment="local").sms_gateway_key == DEV_SMS_GATEWAY_KEY
