"""Domain errors: a service raises them from its use cases; every app answers them as JSON 4xx."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A use case's refusal (not found, conflict, rule broken), with the HTTP status it means.

    ``install_platform`` registers one handler for all of them: the route need not catch
    anything, and since it never reaches its commit, the request's session closes with a
    rollback, so nothing of the refused request is kept.
    """

    status_code = 400

    def detail(self) -> Any:
        return str(self)
