"""Alembic environment of ops-assessment-svc: its own tables only, on DATABASE_URL."""

from brokerage_common.migrations import run_migrations
from ops_assessment_svc.config import Settings
from ops_assessment_svc.models import metadata

run_migrations(metadata, default_url=Settings().database_url)
