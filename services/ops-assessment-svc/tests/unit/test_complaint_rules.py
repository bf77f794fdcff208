"""Complaint states and deadlines in working days (domain.md §7)."""

from __future__ import annotations

from datetime import date

import pytest

from ops_assessment_svc.complaints.rules import (
    Category,
    State,
    WorkingDaysNotCovered,
    alerts_compliance,
    deadlines,
    is_overdue,
    transition_problem,
    working_day_offset,
)


@pytest.mark.parametrize(
    ("received", "contact_due", "answer_due"),
    [
        (date(2026, 11, 20), date(2026, 11, 23), date(2026, 12, 11)),  # Friday
        (date(2026, 11, 21), date(2026, 11, 23), date(2026, 12, 11)),  # Saturday: Monday is day 1
        # National Day 1–7 Oct; Saturday 10 Oct is a make-up workday (调休) and counts.
        (date(2026, 9, 30), date(2026, 10, 8), date(2026, 10, 27)),
    ],
)
def test_deadlines_in_working_days(received: date, contact_due: date, answer_due: date) -> None:
    assert deadlines(received) == (contact_due, answer_due)


def test_a_year_the_calendar_does_not_know_is_refused_not_guessed() -> None:
    with pytest.raises(WorkingDaysNotCovered):
        deadlines(date(2000, 1, 3))


def test_make_up_workday_counts() -> None:
    # 2026: Saturday 10 Oct is a make-up workday (调休).
    workdays = {date(2026, 10, 9), date(2026, 10, 10), date(2026, 10, 12)}
    assert working_day_offset(date(2026, 10, 9), 1, lambda d: d in workdays) == date(2026, 10, 10)


@pytest.mark.parametrize(
    ("src", "dst", "evaluation", "problem"),
    [
        (State.RECEIVED, State.CONTACTED, None, None),
        (State.CONTACTED, State.SOLUTION_PROPOSED, None, None),
        (State.SOLUTION_PROPOSED, State.ANSWERED, None, None),
        (State.ANSWERED, State.CLOSED, 4, None),
        (State.ANSWERED, State.CLOSED, None, "evaluation"),
        (State.ANSWERED, State.CLOSED, 6, "1–5"),
        (State.RECEIVED, State.ANSWERED, None, "cannot go"),
        (State.CONTACTED, State.ESCALATED, None, None),
        (State.ESCALATED, State.CLOSED, None, None),
        (State.CLOSED, State.CONTACTED, None, "cannot go"),
    ],
)
def test_transitions(src: State, dst: State, evaluation: int | None, problem: str | None) -> None:
    found = transition_problem(src, dst, evaluation)
    assert (found is None) if problem is None else (found is not None and problem in found)


@pytest.mark.parametrize(
    ("state", "today", "overdue"),
    [
        (State.RECEIVED, date(2026, 11, 23), False),
        (State.RECEIVED, date(2026, 11, 24), True),  # no first contact in 1 working day
        (State.CONTACTED, date(2026, 12, 11), False),
        (State.CONTACTED, date(2026, 12, 14), True),  # no answer in 15 working days
        (State.ANSWERED, date(2026, 12, 30), False),
        (State.CLOSED, date(2027, 1, 30), False),
    ],
)
def test_overdue(state: State, today: date, overdue: bool) -> None:
    assert (
        is_overdue(
            state, contact_due_on=date(2026, 11, 23), answer_due_on=date(2026, 12, 11), today=today
        )
        is overdue
    )


def test_only_a_data_leak_alerts_compliance() -> None:
    assert [c for c in Category if alerts_compliance(c)] == [Category.DATA_LEAK]
