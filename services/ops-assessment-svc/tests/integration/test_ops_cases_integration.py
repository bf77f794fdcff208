"""Retention cases from transfer requests, and complaints with deadlines and alerts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from prometheus_client import REGISTRY

from brokerage_common import CST, new_envelope
from brokerage_common import events as ev
from ops_assessment_svc.assignment.models import CustomerFile
from ops_assessment_svc.complaints import service as complaints
from ops_assessment_svc.config import Settings
from ops_assessment_svc.exceptions import Conflict, RuleBroken
from ops_assessment_svc.handlers import handlers
from ops_assessment_svc.retention import service as retention
from ops_assessment_svc.retention.models import RetentionCase


async def _assigned(h: Any, customer_id: str, group_id: str | None) -> None:
    async with h.db.sessionmaker() as session:
        session.add(
            CustomerFile(
                customer_id=customer_id,
                branch_id="B001",
                group_id=group_id,
                updated_at=datetime.now(CST),
            )
        )
        await session.commit()


async def test_a_transfer_request_opens_one_case_for_the_group_with_a_trading_clock(
    harness: Any, build: Any
) -> None:
    registry = handlers(Settings(environment="test"))
    await _assigned(harness, "C1", "G1")
    opened_before = REGISTRY.get_sample_value("ops_retention_cases_opened_total") or 0
    at = datetime(2026, 11, 20, 14, 59, tzinfo=CST)  # Friday, a minute before the close
    await harness.handle(registry["CustomerTransferRequested"], build.transfer("R1", "C1", at))
    app_copy = new_envelope(
        ev.TransferAwayRecorded(
            customer_id="C1",
            request_id="R1",
            branch_id="B001",
            kind="custody_transfer",
            market="SZ",
            channel="mobile-app",
            requested_at=at,
        ),
        source="profile-svc",
    )
    await harness.handle(registry["TransferAwayRecorded"], app_copy)
    [case] = await harness.rows(RetentionCase)
    assert (case.group_id, case.branch_id, case.state) == ("G1", "B001", "open")
    assert case.first_call_due_at == datetime(2026, 11, 23, 9, 59, tzinfo=CST)
    # The dashboards count one case for the two reports of the request.
    assert REGISTRY.get_sample_value("ops_retention_cases_opened_total") == opened_before + 1
    [opened] = await harness.outbox_events("RetentionCaseOpened")
    assert (opened["group_id"], opened["alert_channel"], opened["request_id"]) == (
        "G1",
        "group:G1",
        "R1",
    )


async def test_an_unassigned_customers_case_goes_to_the_branch_queue(
    harness: Any, build: Any
) -> None:
    registry = handlers(Settings(environment="test"))
    await _assigned(harness, "C2", None)
    await harness.handle(registry["CustomerTransferRequested"], build.transfer("R2", "C2"))
    [case] = await harness.rows(RetentionCase)
    assert (case.group_id, case.branch_id) == (None, "B001")


async def test_actions_and_the_outcome_close_the_case_and_nothing_after(
    harness: Any, build: Any
) -> None:
    registry = handlers(Settings(environment="test"))
    await _assigned(harness, "C1", "G1")
    await harness.handle(registry["CustomerTransferRequested"], build.transfer("R1", "C1"))
    [case] = await harness.rows(RetentionCase)
    when = datetime(2026, 11, 20, 10, 5, tzinfo=CST)

    async def act(**kw: Any) -> Any:
        async with harness.db.sessionmaker() as session:
            c = await retention.get_case(session, case.case_id)
            out = await retention.act(
                session, case=c, actor="staff:S1", now=when, outbox=harness.outbox, **kw
            )
            await session.commit()
            return out

    await act(kind="call", reason="friend_broker")
    await act(kind="offer", offer="keep_account_open_second")
    done = await act(kind="outcome", outcome="left")
    assert (done.state, done.first_call_at, done.follow_up_on) == (
        "closed",
        when,
        date(2026, 12, 20),
    )
    with pytest.raises(Conflict):
        await act(kind="call")
    [closed] = await harness.outbox_events("RetentionCaseClosed")
    assert (closed["outcome"], closed["follow_up_on"]) == ("left", "2026-12-20")


async def test_a_data_leak_complaint_alerts_compliance_at_once(harness: Any, build: Any) -> None:
    await _assigned(harness, "C1", "G1")
    c = await harness.run(
        complaints.file_complaint,
        customer_id="C1",
        branch_id="B001",
        category="data_leak",
        intake="call_center",
        description="my phone number was given away",
        owner_id="S1",
        received_on=date(2026, 11, 20),
        now=build.now,
        outbox=harness.outbox,
    )
    assert (c.group_id, c.contact_due_on, c.answer_due_on) == (
        "G1",
        date(2026, 11, 23),
        date(2026, 12, 11),
    )
    [filed] = await harness.outbox_events("ComplaintFiled")
    assert (filed["category"], filed["due_on"], filed["intake"]) == (
        "data_leak",
        "2026-12-11",
        "call_center",
    )
    [alert] = await harness.outbox_events("NotificationRequested")
    assert (alert["category"], alert["template_code"]) == (
        "staff_alert",
        "COMPLAINT_DATA_LEAK_ALERT",
    )
    with pytest.raises(ValueError):
        await harness.run(
            complaints.file_complaint,
            customer_id="C1",
            branch_id="B001",
            category="late_cancellation",
            intake="staff",
            description="x",
            owner_id="S1",
            received_on=date(2026, 11, 20),
            now=build.now,
            outbox=harness.outbox,
        )


async def test_complaint_states_overdue_and_resolution(harness: Any, build: Any) -> None:
    c = await harness.run(
        complaints.file_complaint,
        customer_id="C1",
        branch_id="B001",
        category="cancellation_late",
        intake="staff",
        description="not cancelled in time",
        owner_id="S1",
        received_on=date(2026, 11, 20),
        now=build.now,
        outbox=harness.outbox,
    )

    async def move(state: str, **kw: Any) -> Any:
        async with harness.db.sessionmaker() as session:
            found = await complaints.get_complaint(session, c.complaint_id)
            out = await complaints.move_complaint(
                session,
                complaint=found,
                state=state,
                on=date(2026, 11, 25),
                now=build.now,
                outbox=harness.outbox,
                **kw,
            )
            await session.commit()
            return out

    overdue = await harness.run(
        complaints.list_complaints,
        branch_id="B001",
        customer_id=None,
        overdue_on=date(2026, 11, 24),
    )
    assert [x.complaint_id for x in overdue] == [c.complaint_id]
    with pytest.raises(RuleBroken):
        await move("answered")
    await move("contacted")
    await move("solution_proposed")
    await move("answered")
    with pytest.raises(RuleBroken):
        await move("closed")  # without the customer's evaluation
    await move("closed", evaluation=4, upheld=True)
    [resolved] = await harness.outbox_events("ComplaintResolved")
    assert (resolved["state"], resolved["upheld"], resolved["evaluation"]) == ("closed", True, 4)
    with pytest.raises(Conflict):
        await move("contacted")
    rows = await harness.run(complaints.analysis, branch_id="B001")
    assert rows == [
        {
            "month": "2026-11",
            "branch_id": "B001",
            "category": "cancellation_late",
            "complaints": 1,
            "upheld": 1,
        }
    ]


async def test_a_request_before_the_customer_is_known_reaches_the_branch_queue_later(
    harness: Any, build: Any
) -> None:
    registry = handlers(Settings(environment="test"))
    await harness.handle(registry["CustomerTransferRequested"], build.transfer("R5", "C9"))
    [case] = await harness.rows(RetentionCase)
    assert case.branch_id is None
    await harness.handle(registry["CustomerRegistered"], build.registered("C9", branch_id="B007"))
    [case] = await harness.rows(RetentionCase)
    assert (case.branch_id, case.state) == ("B007", "open")


async def test_an_adopted_suggestion_publishes_what_tiering_awards_once(
    harness: Any, build: Any
) -> None:
    s = await harness.run(
        complaints.take_suggestion,
        customer_id="C1",
        branch_id="B001",
        text="open the branch on Saturdays",
        now=build.now,
    )
    await harness.run(
        complaints.adopt_suggestion,
        suggestion_id=s.suggestion_id,
        on=date(2026, 11, 20),
        outbox=harness.outbox,
    )
    with pytest.raises(Conflict):
        await harness.run(
            complaints.adopt_suggestion,
            suggestion_id=s.suggestion_id,
            on=date(2026, 11, 21),
            outbox=harness.outbox,
        )
    [adopted] = await harness.outbox_events("SuggestionAdopted")
    # tiering-svc's bonus reads the customer and the suggestion id (its business key).
    assert (adopted["customer_id"], adopted["suggestion_id"], adopted["adopted_on"]) == (
        "C1",
        s.suggestion_id,
        "2026-11-20",
    )
