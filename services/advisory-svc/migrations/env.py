"""Alembic environment of advisory-svc: its own tables only, on DATABASE_URL."""

from advisory_svc.config import Settings
from advisory_svc.models import metadata
from brokerage_common.migrations import run_migrations

run_migrations(metadata, default_url=Settings().database_url)
