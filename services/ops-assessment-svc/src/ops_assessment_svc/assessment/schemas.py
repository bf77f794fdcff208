"""API shapes of the monthly assessment."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from brokerage_common.params import ID_PATTERN

BranchId = Annotated[str, Field(min_length=1, max_length=32, pattern=ID_PATTERN)]


class RankRead(BaseModel):
    """A group's place: all a member of another group sees."""

    group_id: str
    branch_id: str
    rank: int
    company_rank: int | None = None
    mark: str | None = None


class ScoreRead(RankRead):
    phase: str
    total: Decimal
    penalty: Decimal
    scores: dict[str, Decimal]
    figures: dict[str, Any]
    churning: list[str]
    restatement: int
    computed_at: datetime


class RankingRead(BaseModel):
    month: str
    scope: str  # a branch id, or "HQ" for the company-wide ranking
    groups: list[ScoreRead | RankRead]


class CustomerLine(BaseModel):
    customer_id: str
    days: int
    share: Decimal
    start_assets: Decimal
    end_assets: Decimal
    asset_growth: Decimal
    net_inflow: Decimal
    investment_gain: Decimal
    traded_amount: Decimal
    commission: Decimal
    baseline_commission: Decimal
    asset_turnover: Decimal
    churning: bool
    contacts: int
    referrals: int


class ScorecardRead(BaseModel):
    month: str
    scorecard: ScoreRead
    customers: list[CustomerLine]
    explanation: str


class AssessmentRun(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PhaseWeightsRead(BaseModel):
    phase: str
    weights: dict[str, int] = Field(description="metric → weight, adding up to 100")
    complaint_penalty: int = Field(description="points off the total per upheld complaint")
    is_default: bool = Field(description="true: no weights set, domain.md §5.1's defaults")
    updated_by: str | None
    updated_at: datetime | None


class WeightsRead(BaseModel):
    branch_id: str
    kj_mode: bool = Field(description="true: every group is assessed with the kj weights")
    phases: list[PhaseWeightsRead]


class WeightsPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # JSON integers only: true, "50" and 50.0 are not weights (strict).
    weights: dict[Annotated[str, Field(max_length=32)], Annotated[int, Field(strict=True)]]
    complaint_penalty: Annotated[int, Field(ge=0, le=100, strict=True)] = 10
    branch_id: BranchId | None = None


class ModePut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kj_mode: bool
    branch_id: BranchId | None = None


class TargetsPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    targets: dict[str, Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]]
