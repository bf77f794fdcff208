"""Settings shared by every service, read from the environment (pydantic-settings)."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The local development secret. Accepted only when the environment says "local"/"test";
# a production deployment that forgets AUTH_JWT_SECRET/AUTH_JWT_PUBLIC_KEY refuses to start.
DEV_JWT_SECRET = "local-dev-secret-change-me-0123456789abcdef"  # noqa: S105 - local-only, documented
DEV_ENVIRONMENTS = frozenset({"local", "test"})


class CommonSettings(BaseSettings):
    """What every service needs: where its database and the broker are, and how to check tokens."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    service_name: str = "service"
    environment: str = Field(default="local", description="local | test | production")
    database_url: str = "sqlite+aiosqlite:///./data/service.db"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    auth_jwt_secret: str | None = None
    auth_jwt_public_key: str | None = None
    auth_jwt_issuer: str | None = None
    log_level: str = "INFO"
    log_json: bool = True
    db_pool_size: int = 10
    consumer_batch_max: int = 2000
    consumer_session_timeout_ms: int = 10000
    # Parts of a batch applied concurrently, split by customer (IdempotentConsumer lanes).
    consumer_lanes: int = Field(default=1, ge=1, le=8)
    outbox_poll_interval_s: float = 0.2
    outbox_batch_size: int = 1000
    worker_metrics_port: int = 9100

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> CommonSettings:
        # Only an environment that says it is local or a test may fall back to the development
        # secret: "Production", "prod" or "staging" must not slip through on a spelling.
        relaxed = self.environment.strip().lower() in DEV_ENVIRONMENTS
        if self.auth_jwt_secret is None and self.auth_jwt_public_key is None:
            if not relaxed:
                raise ValueError(
                    "AUTH_JWT_PUBLIC_KEY or AUTH_JWT_SECRET must be set"
                    f" (environment {self.environment!r})"
                )
            self.auth_jwt_secret = DEV_JWT_SECRET
        if not relaxed and self.auth_jwt_secret == DEV_JWT_SECRET:
            raise ValueError(
                "the development JWT secret cannot be used outside local/test"
                f" (environment {self.environment!r})"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
