"""Pure console rules: who may open which page, and the checks a form shows before it is sent.

The services enforce every rule again; the console repeats the ones a person should see while
filling in a form (seed 000's bearish-technicals rule, the 2–3 / back-office group rule, weights
adding up to 100) so nobody learns them from a rejected submit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

STAFF_ROLES: tuple[str, ...] = ("manager", "account_manager", "sales", "back_office", "adviser")
ROLE_NAMES: Mapping[str, str] = {
    "manager": "部门经理",
    "account_manager": "客户经理",
    "sales": "业务员",
    "back_office": "中后台人员",
    "adviser": "咨询人员",
}


class Page(StrEnum):
    CUSTOMERS = "customers"
    RETENTION = "retention"
    COMPLAINTS = "complaints"
    RANKING = "ranking"
    ADVISERS = "advisers"
    MANAGER = "manager"


PAGE_TITLES: Mapping[Page, str] = {
    Page.CUSTOMERS: "客户",
    Page.RETENTION: "挽留",
    Page.COMPLAINTS: "投诉",
    Page.RANKING: "考核排名",
    Page.ADVISERS: "咨询",
    Page.MANAGER: "服务小组",
}

# api.md: a staff token without staff_roles has none of the role rights, so every page needs one.
# Advisers write picks; the manager edits groups and weights; every role serves customers.
PAGE_ROLES: Mapping[Page, frozenset[str]] = {
    Page.CUSTOMERS: frozenset(STAFF_ROLES),
    Page.RETENTION: frozenset(STAFF_ROLES),
    Page.COMPLAINTS: frozenset(STAFF_ROLES),
    Page.RANKING: frozenset(STAFF_ROLES),
    Page.ADVISERS: frozenset({"adviser", "manager"}),
    Page.MANAGER: frozenset({"manager"}),
}


def may_open(page: Page, staff_roles: Iterable[str]) -> bool:
    return not PAGE_ROLES[page].isdisjoint(staff_roles)


def pages_for(staff_roles: Iterable[str]) -> list[Page]:
    roles = frozenset(staff_roles)
    return [page for page in Page if may_open(page, roles)]


# ----------------------------------------------------------------------------- forms

BEARISH_BUY_RULE = "千万不可以出现介绍的股票基本面很好、技术面已经走熊的状况"
"""Seed 000: a "buy" whose technical view is bearish must not be published."""


def pick_problems(*, recommendation: str, technical_view: str) -> list[str]:
    """Why a stock pick may not be published (empty when it may)."""
    if recommendation == "buy" and technical_view == "bearish":
        return [f"技术面看空的股票不能推荐买入（{BEARISH_BUY_RULE}）"]
    return []


GROUP_MIN, GROUP_MAX = 2, 3


def group_problems(member_roles: Mapping[str, str]) -> list[str]:
    """Why a service group's members break domain.md §5 (2–3 staff, one from back office)."""
    problems = []
    if not GROUP_MIN <= len(member_roles) <= GROUP_MAX:
        problems.append(f"每个服务小组 {GROUP_MIN}–{GROUP_MAX} 人（现有 {len(member_roles)} 人）")
    if "back_office" not in member_roles.values():
        problems.append("每个服务小组至少一名中后台人员")
    return problems


# domain.md §5.1's figures of a group's month, in the seeds' words, and the default weights
# by phase (ops-assessment-svc's defaults; the service offers no read of a branch's own).
METRIC_NAMES: Mapping[str, str] = {
    "targets_reached": "目标完成率",
    "crm_completeness": "CRM 完整度",
    "new_customers": "新增客户",
    "incremental_commission": "增量佣金",
    "asset_growth_ratio": "资产增长率",
    "commission_turnover": "佣金周转率",
    "asset_turnover": "资产周转率",
}
PHASE_NAMES: Mapping[str, str] = {
    "early": "初期（建组前 6 个月）",
    "steady": "稳定期",
    "kj": "KJ 模式",
}
DEFAULT_WEIGHTS: Mapping[str, Mapping[str, int]] = {
    "early": {"targets_reached": 30, "crm_completeness": 40, "new_customers": 30},
    "steady": {
        "incremental_commission": 40,
        "asset_growth_ratio": 25,
        "new_customers": 15,
        "crm_completeness": 10,
        "commission_turnover": 10,
    },
    "kj": {"asset_growth_ratio": 50, "commission_turnover": 50},
}


def weights_in_effect(answer: object) -> dict[str, dict[str, int]]:
    """phase → metric → weight from ops' ``GET /v1/assessment-weights``; a phase it does not
    answer keeps domain.md §5.1's default (the service's own choice when none was set)."""
    found = {phase: dict(weights) for phase, weights in DEFAULT_WEIGHTS.items()}
    phases = answer.get("phases") if isinstance(answer, Mapping) else None
    for p in phases if isinstance(phases, list) else []:
        if (
            isinstance(p, Mapping)
            and p.get("phase") in found
            and isinstance(p.get("weights"), Mapping)
        ):
            found[str(p["phase"])] = {str(m): int(w) for m, w in p["weights"].items()}
    return found


def weights_problems(weights: Mapping[str, int]) -> list[str]:
    """Why a phase's weights cannot be saved: each 0–100, together exactly 100."""
    problems = [f"{name} 的权重须在 0–100 之间" for name, w in weights.items() if not 0 <= w <= 100]
    total = sum(weights.values())
    if total != 100:
        problems.append(f"权重合计须为 100（现为 {total}）")
    return problems


# ----------------------------------------------------------------------------- retention

FIRST_CALL_MINUTES = 30
"""domain.md §6: the first call is due 30 trading minutes after the transfer request."""


def first_call_minutes_left(*, trading_minutes_open: int | None, called: bool) -> int | None:
    """Trading minutes left before the first call is due (negative: overdue by that much);
    None once the call was made or while the service cannot run the clock."""
    if called or trading_minutes_open is None:
        return None
    return FIRST_CALL_MINUTES - trading_minutes_open


# ----------------------------------------------------------------------------- scorecard

# A group figure opened down to its customers: the customer column behind it (§5.1).
FIGURE_SOURCES: Mapping[str, str] = {
    "asset_growth": "asset_growth",
    "asset_growth_ratio": "asset_growth",
    "net_inflow": "net_inflow",
    "investment_gain": "investment_gain",
    "commission": "commission",
    "incremental_commission": "commission",
    "commission_turnover": "commission",
    "asset_turnover": "asset_turnover",
    "crm_completeness": "contacts",
    "new_customers": "referrals",
}


Row = TypeVar("Row", bound=Mapping[str, object])


def customers_behind(customers: Iterable[Row], figure: str) -> list[Row]:
    """The customers of a scorecard, largest share of ``figure`` first (unknown: as given)."""
    column = FIGURE_SOURCES.get(figure)
    rows = list(customers)
    if column is None:
        return rows

    def value(row: Row) -> Decimal:
        try:
            return Decimal(str(row.get(column)))
        except (InvalidOperation, ValueError):
            return Decimal(0)

    return sorted(rows, key=value, reverse=True)


# ----------------------------------------------------------------------------- paging


@dataclass(frozen=True)
class Paging:
    offset: int
    limit: int
    total: int

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None


@dataclass(frozen=True)
class Window:
    """A page of a list whose total the service does not count: a next page exists when the
    service gave more than a page."""

    offset: int
    limit: int
    has_next: bool

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.has_next else None


_MASKED_PHONE = re.compile(r"^(1[0-9]{2})[*＊]{1,4}([0-9]{4})$")
_FULL_PHONE = re.compile(r"^(1[0-9]{2})[0-9]{4}([0-9]{4})$")
# What profile-svc refuses in a name search (a name holds no digits of any script).
_DIGITS_OR_CONTROL = re.compile(r"[\d\x00-\x1f\x7f]")


@dataclass(frozen=True)
class CustomerSearch:
    """What one search box asks profile-svc for: a name prefix, or a masked phone's digits."""

    name: str | None = None
    phone_prefix3: str | None = None
    phone_last4: str | None = None

    def params(self) -> dict[str, str]:
        wanted = {
            "q": self.name,
            "phone_prefix3": self.phone_prefix3,
            "phone_last4": self.phone_last4,
        }
        return {k: v for k, v in wanted.items() if v is not None}


def parse_customer_search(text: str) -> CustomerSearch | None:
    """The box takes what staff see: a name (张, 张伟), a masked phone as shown (138****1234),
    its last four digits (1234), or a whole number, which is searched by the same visible
    digits (staff see masked numbers only; the list answers masked too). None: not one of these.
    """
    text = text.strip()
    if any(c.isdigit() for c in text):  # a phone as people write it: 138 0000 1234, 138-...
        text = text.replace(" ", "").replace("-", "")
    if not text or len(text) > 64:
        return None
    for pattern in (_MASKED_PHONE, _FULL_PHONE):
        if found := pattern.fullmatch(text):
            return CustomerSearch(phone_prefix3=found[1], phone_last4=found[2])
    if re.fullmatch(r"[0-9]{4}", text):
        return CustomerSearch(phone_last4=text)
    if _DIGITS_OR_CONTROL.search(text):
        return None
    return CustomerSearch(name=text)


def month_of(day: date) -> str:
    """The month key the assessments use (``2026-11``)."""
    return f"{day:%Y-%m}"


def previous_month(day: date) -> str:
    """The last finished month: the one a ranking is normally read for."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return f"{year:04d}-{month:02d}"
