"""Every table of the service (for Alembic and the tests): the subpackages' models together."""

from __future__ import annotations

from .assessment.models import AssessmentConfig, BranchMode, GroupAssessment, GroupTarget
from .assignment.models import CustomerFile, CustomerGroupMonth
from .complaints.models import Complaint, Suggestion
from .db import PLATFORM, Base
from .figures.models import CrmContact, CustomerMonthFigure, SettledTradeRow
from .retention.models import RetentionAction, RetentionCase
from .staff_groups.models import GroupMembership, ServiceGroup, Staff

metadata = Base.metadata

__all__ = [
    "PLATFORM",
    "AssessmentConfig",
    "BranchMode",
    "Complaint",
    "CrmContact",
    "CustomerFile",
    "CustomerGroupMonth",
    "CustomerMonthFigure",
    "GroupAssessment",
    "GroupMembership",
    "GroupTarget",
    "RetentionAction",
    "RetentionCase",
    "ServiceGroup",
    "SettledTradeRow",
    "Staff",
    "Suggestion",
    "metadata",
]
