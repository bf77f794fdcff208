"""Every profile-svc table, so ``metadata`` is complete for Alembic and the test databases.

Each table lives in its domain's ``models.py``; this module only gathers them.
"""

from __future__ import annotations

from .crm.models import Interaction
from .customers.models import Customer, PiiAccess
from .risk.models import RiskAssessment
from .segments.models import AssetSnapshot, CustomerSegment, SettledTrade
from .tables import PLATFORM, Base, metadata
from .transfers.models import TransferRequest

__all__ = [
    "PLATFORM",
    "AssetSnapshot",
    "Base",
    "Customer",
    "CustomerSegment",
    "Interaction",
    "PiiAccess",
    "RiskAssessment",
    "SettledTrade",
    "TransferRequest",
    "metadata",
]
