"""Settings shared by every service, read from the environment (pydantic-settings)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, get_args

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["local", "test", "staging", "production"]
KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KafkaSaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]
"""Where a process runs. Only ``local`` and ``test`` may use the development secrets; any
other spelling ("prod", "Production ") is normalised to one of these or refused at start."""

ENVIRONMENTS: tuple[str, ...] = get_args(Environment)
DEV_ENVIRONMENTS = frozenset({"local", "test"})
MIN_SECRET_BYTES = 32
"""A secret shorter than this (HMAC-SHA256 wants a 256-bit key) is refused in staging and
production."""

# The local development secret. Accepted only when the environment says "local"/"test";
# a production deployment that forgets AUTH_JWT_SECRET/AUTH_JWT_PUBLIC_KEY refuses to start.
DEV_JWT_SECRET = "local-dev-secret-change-me-0123456789abcdef"  # noqa: S105 - local-only, documented

_DEVELOPMENT_SECRETS: set[str] = {DEV_JWT_SECRET}


def register_development_secret(value: str) -> str:
    """Declare a development value (a service's local hash or gateway key): no secret may
    equal it outside local/test, whichever setting it is given to. Returns ``value``."""
    _DEVELOPMENT_SECRETS.add(value.strip())
    return value


def is_protected(environment: str) -> bool:
    """Staging and production: real secrets only, never a development value."""
    return environment not in DEV_ENVIRONMENTS


def is_production(environment: str) -> bool:
    return environment == "production"


def check_secret(value: str | None, *, name: str, environment: str) -> str | None:
    """A secret setting, stripped; outside local/test it must be at least
    ``MIN_SECRET_BYTES`` bytes and equal to no development value. ``name`` is the
    environment variable the message names."""
    if value is None:
        return None
    value = value.strip()
    if not is_protected(environment):
        return value
    if value in _DEVELOPMENT_SECRETS:
        raise ValueError(f"{name} is a development value; not allowed in {environment}")
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise ValueError(
            f"{name} must be at least {MIN_SECRET_BYTES} bytes in {environment}"
            f" (got {len(value.encode())})"
        )
    return value


class CommonSettings(BaseSettings):
    """What every service needs: where its database and the broker are, and how to check tokens."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)
    # False for a process with no database of its own (the staff console): its
    # DATABASE_URL is never used, so production does not ask it to be PostgreSQL.
    USES_DATABASE: ClassVar[bool] = True

    service_name: str = "service"
    environment: Environment = Field(default="local", description=" | ".join(ENVIRONMENTS))
    database_url: str = "sqlite+aiosqlite:///./data/service.db"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # How clients reach a secured listener (brokerage_common.kafka.KafkaConnection): TLS with
    # the cluster CA, SASL SCRAM with the password of the service's KafkaUser. In production
    # a Kafka client refuses PLAINTEXT unless KAFKA_ALLOW_PLAINTEXT says the network is
    # trusted on purpose, and PLAIN (the password itself on the wire).
    kafka_security_protocol: KafkaSecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: KafkaSaslMechanism | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = Field(default=None, repr=False)
    kafka_ssl_cafile: str | None = None
    kafka_ssl_certfile: str | None = None
    kafka_ssl_keyfile: str | None = None
    kafka_allow_plaintext: bool = False
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
    # A loop (consumer, relay, job) that fails this many times in a row exits the process, so
    # the orchestrator restarts it with fresh connections instead of it retrying forever.
    max_consecutive_errors: int = Field(default=10, ge=1, le=1000)
    outbox_poll_interval_s: float = 0.2
    outbox_batch_size: int = 1000
    # Housekeeping (brokerage_common.housekeeping): published outbox rows and processed-event
    # ids older than this are pruned. It must outlive any redelivery: a consumer that finds
    # no processed_event row applies the event again.
    retention_days: float = Field(default=7.0, ge=1.0, le=3650.0)
    prune_interval_s: float = Field(default=600.0, gt=0)
    prune_batch_size: int = Field(default=5000, ge=100, le=100_000)
    worker_metrics_port: int = 9100

    @field_validator("environment", mode="before")
    @classmethod
    def _normalise_environment(cls, value: Any) -> Any:
        # "Production" and " staging" mean what they say; "prod" is refused by the Literal.
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("kafka_security_protocol", "kafka_sasl_mechanism", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        # Kafka spells these in capitals; "sasl_ssl" or "scram-sha-512" mean the same.
        if isinstance(value, str):
            return value.strip().upper() or None
        return value

    @property
    def protected(self) -> bool:
        """Staging or production: no development secret, no shortcut."""
        return is_protected(self.environment)

    @property
    def is_production(self) -> bool:
        return is_production(self.environment)

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> CommonSettings:
        env = self.environment
        self.auth_jwt_secret = check_secret(
            self.auth_jwt_secret, name="AUTH_JWT_SECRET", environment=env
        )
        if not self.auth_jwt_secret:
            self.auth_jwt_secret = None
        if self.auth_jwt_secret is None and self.auth_jwt_public_key is None:
            if self.protected:
                raise ValueError(
                    f"AUTH_JWT_PUBLIC_KEY or AUTH_JWT_SECRET must be set (environment {env!r})"
                )
            self.auth_jwt_secret = DEV_JWT_SECRET
        if self.USES_DATABASE and self.is_production and self.is_sqlite:
            raise ValueError("DATABASE_URL must not be SQLite in production")
        self._check_kafka_security()
        return self

    def _check_kafka_security(self) -> None:
        protocol = self.kafka_security_protocol
        sasl = protocol.startswith("SASL_")
        self.kafka_sasl_password = (
            check_secret(
                self.kafka_sasl_password, name="KAFKA_SASL_PASSWORD", environment=self.environment
            )
            or None
        )
        if sasl:
            missing = [
                name
                for name, value in (
                    ("KAFKA_SASL_MECHANISM", self.kafka_sasl_mechanism),
                    ("KAFKA_SASL_USERNAME", self.kafka_sasl_username),
                    ("KAFKA_SASL_PASSWORD", self.kafka_sasl_password),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"KAFKA_SECURITY_PROTOCOL={protocol} needs {', '.join(missing)}")
        elif self.kafka_sasl_mechanism or self.kafka_sasl_username or self.kafka_sasl_password:
            # Credentials given to a listener that never asks for them: a typo, not a choice.
            raise ValueError(f"KAFKA_SASL_* are set but KAFKA_SECURITY_PROTOCOL is {protocol}")
        tls_files = self.kafka_ssl_cafile or self.kafka_ssl_certfile or self.kafka_ssl_keyfile
        if tls_files and not protocol.endswith("SSL"):
            raise ValueError(f"KAFKA_SSL_* are set but KAFKA_SECURITY_PROTOCOL is {protocol}")
        if bool(self.kafka_ssl_certfile) != bool(self.kafka_ssl_keyfile):
            raise ValueError("KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE go together")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
