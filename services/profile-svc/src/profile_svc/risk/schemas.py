"""Risk-questionnaire API shapes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

LevelName = Literal["low", "mid_low", "mid", "mid_high", "high"]
RiskLevelName = Literal["C1", "C2", "C3", "C4", "C5"]


Option = Annotated[StrictInt, Field(ge=1, le=5)]


class RiskAnswers(BaseModel):
    """Option 1-5 per item (1 = the 10-point answer … 5 = the 2-point answer), domain.md §1.1."""

    model_config = ConfigDict(extra="forbid")

    job: Option
    burden: Option
    assets: Option
    experience: Option
    knowledge: Option
    priority: Option
    stop_loss: Option
    if_loss: Option
    watching: Option
    results: Option
    max_loss_pct: Annotated[StrictInt, Field(ge=0, le=100)]


class RiskAssessmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: RiskAnswers


class ScoreRead(BaseModel):
    score: int
    level: LevelName


class AllocationRead(BaseModel):
    low: int
    mid: int
    high: int


class RiskAssessmentRead(BaseModel):
    """The questionnaire result of api.md, with the assessment's id."""

    capacity: ScoreRead
    tolerance: ScoreRead
    allocation: AllocationRead
    risk_level: RiskLevelName
    assessed_on: date
    valid_until: date
    assessment_id: str


class RiskAssessmentRecord(RiskAssessmentRead):
    """One assessment of the history, with its answers, the age used and who submitted it."""

    age: int
    answers: dict[str, int]
    assessed_by: str


class RiskProfileRead(BaseModel):
    """The current assessment: ``valid`` until its ``valid_until`` day inclusive."""

    customer_id: str
    status: Literal["valid", "expired", "missing"]
    valid: bool
    risk_level: RiskLevelName | None
    valid_until: date | None
    current: RiskAssessmentRead | None
