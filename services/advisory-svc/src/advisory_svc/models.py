"""All advisory-svc tables in one metadata (for Alembic) plus the platform tables."""

from __future__ import annotations

from brokerage_common.tables import platform_tables

from .agreements.models import AdvisoryAgreement
from .base import Base
from .content.models import Content
from .offers.models import OfferChange
from .readmodels.models import ClosingPrice, CustomerFact, Holding, HoldingTrade
from .subscriptions.models import MismatchConfirmation, Subscription

metadata = Base.metadata
PLATFORM = platform_tables(metadata)

__all__ = [
    "PLATFORM",
    "AdvisoryAgreement",
    "ClosingPrice",
    "Content",
    "CustomerFact",
    "Holding",
    "HoldingTrade",
    "MismatchConfirmation",
    "OfferChange",
    "Subscription",
    "metadata",
]
