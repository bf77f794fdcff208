"""The service's refusals: each a clear 4xx (install_platform answers DomainError)."""

from __future__ import annotations

from typing import Any

from brokerage_common import DomainError


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Forbidden(DomainError):
    status_code = 403


class RuleBroken(DomainError):
    """A change that would break a rule of domain.md (a group of 4, weights adding to 90)."""

    status_code = 422
    code = "rule_violated"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems

    def detail(self) -> Any:
        return {"problems": self.problems}
