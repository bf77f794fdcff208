"""Alembic environment of notify-svc: its own tables only, on DATABASE_URL."""

from brokerage_common.migrations import run_migrations
from notify_svc.config import Settings
from notify_svc.models import metadata

run_migrations(metadata, default_url=Settings().database_url)
