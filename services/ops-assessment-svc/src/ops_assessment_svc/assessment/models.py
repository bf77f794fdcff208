"""Branch assessment settings, the manager's monthly targets, and published scorecards."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlmodel import Field

from ..db import MONEY, RATIO, Base


class AssessmentConfig(Base, table=True):
    """A branch's weights per phase (JSON: metric → weight) and KJ mode; absent = defaults."""

    __tablename__ = "assessment_config"

    branch_id: str = Field(primary_key=True, max_length=32)
    phase: str = Field(primary_key=True, max_length=8)
    weights: str = Field(max_length=1000)
    complaint_penalty: int = 10
    updated_by: str = Field(max_length=64)
    updated_at: datetime


class BranchMode(Base, table=True):
    __tablename__ = "branch_mode"

    branch_id: str = Field(primary_key=True, max_length=32)
    kj_mode: bool = False


class GroupTarget(Base, table=True):
    """A month's target the branch manager set for a group (contacts, new customers, inflow)."""

    __tablename__ = "group_target"

    month: str = Field(primary_key=True, max_length=7)
    group_id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(primary_key=True, max_length=24)
    target: Decimal = Field(sa_type=MONEY)


class GroupAssessment(Base, table=True):
    """One group's published month: figures, scores, rank, mark; ``restatement`` counts the
    re-publications after late events changed it."""

    __tablename__ = "group_assessment"

    month: str = Field(primary_key=True, max_length=7)
    group_id: str = Field(primary_key=True, max_length=32)
    branch_id: str = Field(max_length=32, index=True)
    phase: str = Field(max_length=8)
    figures: str = Field(max_length=4000)
    scores: str = Field(max_length=2000)
    churning: str = Field(default="[]", max_length=100000)
    penalty: Decimal = Field(sa_type=MONEY)
    total: Decimal = Field(sa_type=MONEY)
    rank: int
    company_rank: int
    groups_ranked: int
    mark: str | None = Field(default=None, max_length=8)
    asset_growth_ratio: Decimal = Field(sa_type=RATIO)
    restatement: int = 0
    computed_at: datetime
