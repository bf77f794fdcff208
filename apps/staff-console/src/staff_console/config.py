"""staff-console settings: where the services are, how long to wait for them, the session key."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field, model_validator

from brokerage_common import CommonSettings
from brokerage_common.settings import DEV_ENVIRONMENTS

# Local runs and tests only: outside them the console refuses to start without SESSION_SECRET.
DEV_SESSION_SECRET = "local-dev-console-session-secret-change-me-0123456789"  # noqa: S105
MIN_SESSION_SECRET_LENGTH = 32
STAFF_ROLES = ("manager", "account_manager", "sales", "back_office", "adviser")


class DemoStaff(BaseModel):
    """A staff identity the local sign-in page offers (``make run`` passes demo_data's list)."""

    staff_id: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=32)
    branch_id: str = Field(min_length=1, max_length=16)
    staff_roles: list[str] = Field(default_factory=list)


class Settings(CommonSettings):
    USES_DATABASE: ClassVar[bool] = False  # it owns no data: every page calls the services

    service_name: str = "staff-console"
    profile_url: str = "http://127.0.0.1:8001"
    tiering_url: str = "http://127.0.0.1:8002"
    advisory_url: str = "http://127.0.0.1:8003"
    notify_url: str = "http://127.0.0.1:8004"
    ops_url: str = "http://127.0.0.1:8005"
    # One slow service must not hold a page: its section shows "not available" instead.
    service_timeout_s: float = Field(default=3.0, gt=0, le=30)
    service_max_connections: int = Field(default=100, ge=1, le=1000)
    session_secret: str | None = None
    session_max_age_s: int = Field(default=12 * 3600, ge=60)
    # JSON list of DemoStaff (CONSOLE_DEMO_STAFF); used only where tokens may be minted.
    console_demo_staff: list[DemoStaff] = Field(default_factory=list)
    demo_token_ttl_s: int = Field(default=12 * 3600, ge=60)
    page_size: int = Field(default=50, ge=1, le=200)

    @property
    def may_mint_tokens(self) -> bool:
        """Only a local or test run signs tokens itself; production takes the SSO proxy's."""
        return self.environment.strip().lower() in DEV_ENVIRONMENTS

    @model_validator(mode="after")
    def _refuse_unsafe_session_secret(self) -> Settings:
        secret = self.session_secret
        if self.may_mint_tokens:
            self.session_secret = secret or DEV_SESSION_SECRET
        elif (
            secret is None
            or secret == DEV_SESSION_SECRET
            or len(secret) < MIN_SESSION_SECRET_LENGTH
        ):
            raise ValueError(
                "SESSION_SECRET must be a secret of at least"
                f" {MIN_SESSION_SECRET_LENGTH} characters"
            )
        for staff in self.console_demo_staff:
            unknown = set(staff.staff_roles) - set(STAFF_ROLES)
            if unknown:
                raise ValueError(f"demo staff {staff.staff_id}: unknown roles {sorted(unknown)}")
        return self

    @property
    def session_key(self) -> str:
        assert self.session_secret is not None  # set or refused by the validator
        return self.session_secret
