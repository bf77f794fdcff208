"""Shared spine of the branch customer-service platform."""

from . import dialect
from .auth import (
    CurrentPrincipal,
    Principal,
    TokenCache,
    TokenVerifier,
    current_principal,
    ensure_can_access_customer,
    issue_token,
    require_role,
    require_scope,
    require_staff_role,
)
from .consumer import IdempotentConsumer, PermanentEventError, batch_handler, is_transient
from .db import Database, make_engine, service_base
from .errors import DomainError
from .events import (
    EVENT_TYPES,
    BaseEvent,
    Envelope,
    Event,
    Money,
    NonNegativeMoney,
    new_envelope,
    parse_envelope,
)
from .housekeeping import Housekeeper
from .logging import configure_logging, mask_pii
from .outbox import Outbox, OutboxRelay
from .settings import CommonSettings
from .tables import PlatformTables, platform_tables
from .timeutil import CST, now_cst, today_cst
from .topics import ALL_TOPICS, Topic, all_topic_specs
from .web import (
    ERROR_RESPONSES,
    OutboxDep,
    SessionDep,
    get_outbox,
    get_settings,
    install_platform,
)
from .worker import TooManyConsecutiveErrors, run_main, run_periodic, run_until_stopped

__all__ = [
    "ALL_TOPICS",
    "CST",
    "ERROR_RESPONSES",
    "EVENT_TYPES",
    "BaseEvent",
    "CommonSettings",
    "CurrentPrincipal",
    "Database",
    "DomainError",
    "Envelope",
    "Event",
    "Housekeeper",
    "IdempotentConsumer",
    "Money",
    "NonNegativeMoney",
    "Outbox",
    "OutboxDep",
    "OutboxRelay",
    "PermanentEventError",
    "PlatformTables",
    "Principal",
    "SessionDep",
    "TokenCache",
    "TokenVerifier",
    "TooManyConsecutiveErrors",
    "Topic",
    "all_topic_specs",
    "batch_handler",
    "configure_logging",
    "current_principal",
    "dialect",
    "ensure_can_access_customer",
    "get_outbox",
    "get_settings",
    "install_platform",
    "is_transient",
    "issue_token",
    "make_engine",
    "mask_pii",
    "new_envelope",
    "now_cst",
    "parse_envelope",
    "platform_tables",
    "require_role",
    "require_scope",
    "require_staff_role",
    "run_main",
    "run_periodic",
    "run_until_stopped",
    "service_base",
    "today_cst",
]
