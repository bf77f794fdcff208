"""Segmentation API shapes."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from ..schemas import DecimalStr, FamilyLifeCycleName, StatusName, StockTimeName, TradingRecordName


class ExperienceRead(BaseModel):
    market_entry_year: int | None
    years_in_market: int | None
    time_on_stocks: StockTimeName | None
    past_success: TradingRecordName | None


class CustomerSegmentsRead(BaseModel):
    """Every segmentation of one customer; value figures are null until settlement events arrive."""

    customer_id: str
    value_segment: str | None
    asset_size: str | None
    turnover_class: str | None
    total_assets: DecimalStr | None
    assets_as_of: date | None
    average_assets: DecimalStr | None
    traded_amount: DecimalStr | None = Field(description="traded in the trailing window")
    turnover: DecimalStr | None = Field(description="monthly turnover; null when undefined")
    contribution: DecimalStr | None = Field(description="commission in the trailing window")
    window_days: int
    figures_as_of: date | None
    age: int
    life_stage: str
    life_stage_focus: str
    family_life_cycle: FamilyLifeCycleName | None
    experience: ExperienceRead


class SegmentCustomerRead(BaseModel):
    customer_id: str
    name: str
    status: StatusName
    life_stage: str
    value_segment: str | None
    total_assets: DecimalStr
    contribution: DecimalStr
    turnover: DecimalStr | None


class SegmentPage(BaseModel):
    segment: str
    kind: Literal["value", "life_stage", "family_life_cycle"]
    branch_id: str
    total: int
    limit: int
    offset: int
    items: list[SegmentCustomerRead]
