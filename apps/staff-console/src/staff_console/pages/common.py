"""What every page shares: the templates, rendering with the user's menu, service sections."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ..clients import Clients, ServiceRefused, ServiceUnavailable
from ..labels import LABELS, VALUE_NAMES, value_segment_name
from ..rules import PAGE_TITLES, pages_for
from ..session import StaffUser

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing_time(value: Any) -> Any:
    """An ISO datetime from a service shown as Beijing wall time; anything else unchanged."""
    if not isinstance(value, str) or "T" not in value:
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))
templates.env.globals["LABELS"] = LABELS
templates.env.globals["VALUE_NAMES"] = VALUE_NAMES
templates.env.globals["PAGE_TITLES"] = PAGE_TITLES
templates.env.globals["value_segment_name"] = value_segment_name
templates.env.filters["beijing"] = beijing_time


def clients(request: Request) -> Clients:
    found: Clients = request.app.state.clients
    return found


def render(
    request: Request,
    name: str,
    *,
    user: StaffUser | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    menu = pages_for(user.staff_roles) if user else []
    return templates.TemplateResponse(
        request,
        name,
        {"user": user, "menu": menu, **context},
        status_code=status_code,
    )


@dataclass(frozen=True)
class Section:
    """One service's part of a page: its data, or why it is missing (rendered as a panel)."""

    data: Any = None
    unavailable: str | None = None
    refused: str | None = None

    @property
    def ok(self) -> bool:
        return self.unavailable is None and self.refused is None


async def section(call: Awaitable[Any]) -> Section:
    """Await one service call; an absent or failing service becomes a panel, never a 500."""
    try:
        return Section(data=await call)
    except ServiceUnavailable as exc:
        return Section(unavailable=f"{exc.service}：{exc.reason}")
    except ServiceRefused as exc:
        return Section(refused=f"{exc.service}：{exc.message}")


def items_of(data: Any, *keys: str) -> list[dict[str, Any]]:
    """A list of objects from an answer that is a list or wraps one (``items``, ``groups``…)."""
    if isinstance(data, list):
        return [d for d in data if isinstance(d, dict)]
    if isinstance(data, dict):
        for key in (*keys, "items", "entries"):
            value = data.get(key)
            if isinstance(value, list):
                return [d for d in value if isinstance(d, dict)]
    return []
