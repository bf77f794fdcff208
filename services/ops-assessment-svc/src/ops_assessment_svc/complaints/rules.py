"""Complaints and suggestions (投诉处理, 合理化建议, domain.md §7): states, deadlines, overdue.

received → contacted → solution_proposed → answered → closed (with the customer's
evaluation 1–5), or escalated from any open state; first contact within 1 working day
and an answer within 15 working days (法定工作日, chinesecalendar: make-up workdays count).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from enum import StrEnum

import chinese_calendar

CONTACT_WORKING_DAYS = 1
ANSWER_WORKING_DAYS = 15


class Category(StrEnum):
    SYSTEM_FAILURE = "system_failure"
    BUSINESS_ERROR = "business_error"
    DATA_LEAK = "data_leak"
    CANCELLATION_LATE = "cancellation_late"
    STAFF_ATTITUDE = "staff_attitude"
    OTHER = "other"


class State(StrEnum):
    RECEIVED = "received"
    CONTACTED = "contacted"
    SOLUTION_PROPOSED = "solution_proposed"
    ANSWERED = "answered"
    CLOSED = "closed"
    ESCALATED = "escalated"


class Intake(StrEnum):
    STAFF = "staff"
    APP = "app"
    CALL_CENTER = "call_center"


_NEXT: dict[State, frozenset[State]] = {
    State.RECEIVED: frozenset({State.CONTACTED, State.ESCALATED}),
    State.CONTACTED: frozenset({State.SOLUTION_PROPOSED, State.ESCALATED}),
    State.SOLUTION_PROPOSED: frozenset({State.ANSWERED, State.ESCALATED}),
    State.ANSWERED: frozenset({State.CLOSED, State.ESCALATED}),
    # Escalated to the branch manager / compliance: it is answered and closed from there.
    State.ESCALATED: frozenset({State.ANSWERED, State.CLOSED}),
    State.CLOSED: frozenset(),
}


def can_move(src: State, dst: State) -> bool:
    return dst in _NEXT[src]


def transition_problem(src: State, dst: State, evaluation: int | None) -> str | None:
    if not can_move(src, dst):
        return f"a complaint cannot go from {src} to {dst}"
    if dst is State.CLOSED and src is not State.ESCALATED and evaluation is None:
        return "closing needs the customer's evaluation (1–5)"
    if evaluation is not None and not 1 <= evaluation <= 5:
        return "the evaluation is 1–5"
    return None


class WorkingDaysNotCovered(ValueError):
    """A day outside the years chinesecalendar knows (it ships each year's holidays once the
    State Council announces them)."""


def is_workday(day: date) -> bool:
    """A statutory working day (make-up workdays count); ``WorkingDaysNotCovered`` outside
    the years the calendar knows."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        raise WorkingDaysNotCovered(str(exc)) from None


def working_day_offset(day: date, n: int, is_workday: Callable[[date], bool] = is_workday) -> date:
    """The n-th working day after ``day`` (a complaint received on a holiday counts from the
    next working day's start, so its first day is that day)."""
    if n < 1:
        raise ValueError("n must be >= 1")
    d = day
    if not is_workday(d):
        while not is_workday(d):
            d += timedelta(days=1)
        n -= 1
    while n > 0:
        d += timedelta(days=1)
        if is_workday(d):
            n -= 1
    return d


def deadlines(received_on: date) -> tuple[date, date]:
    """(first contact due, answer due)."""
    return (
        working_day_offset(received_on, CONTACT_WORKING_DAYS),
        working_day_offset(received_on, ANSWER_WORKING_DAYS),
    )


def is_overdue(state: State, *, contact_due_on: date, answer_due_on: date, today: date) -> bool:
    if state in (State.CLOSED, State.ESCALATED):
        return False
    if state is State.RECEIVED and today > contact_due_on:
        return True
    return state is not State.ANSWERED and today > answer_due_on


def alerts_compliance(category: Category) -> bool:
    """A leak of customer data alerts compliance at once (not at the deadline)."""
    return category is Category.DATA_LEAK
