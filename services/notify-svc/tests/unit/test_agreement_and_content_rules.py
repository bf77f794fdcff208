"""The agreement rule (ADR 0010: advice only when advice_from <= day <= valid_until and no
rescission on or before the day) and where a content chunk's message ids start."""

from __future__ import annotations

from datetime import date

import pytest

from notify_svc.agreements.rules import allows_advice
from notify_svc.content.rules import (
    ADVICE_TEMPLATE,
    CHUNK_MAX,
    NOTICE_TEMPLATE,
    campaign_id_for,
    first_seq,
    template_for,
)

SIGNED_FROM = date(2026, 11, 25)  # advice_from: the day after a cooling-off
UNTIL = date(2027, 11, 24)


@pytest.mark.parametrize(
    ("advice_from", "valid_until", "rescinded_on", "on", "allowed"),
    [
        (SIGNED_FROM, UNTIL, None, date(2026, 11, 24), False),  # still cooling off
        (SIGNED_FROM, UNTIL, None, SIGNED_FROM, True),  # first day of advice
        (SIGNED_FROM, UNTIL, None, UNTIL, True),  # last day of the agreement
        (SIGNED_FROM, UNTIL, None, date(2027, 11, 25), False),  # ended
        (SIGNED_FROM, None, None, date(2035, 1, 1), True),  # open-ended
        (SIGNED_FROM, UNTIL, date(2026, 12, 10), date(2026, 12, 9), True),  # before rescission
        (SIGNED_FROM, UNTIL, date(2026, 12, 10), date(2026, 12, 10), False),  # on the day
        (SIGNED_FROM, UNTIL, date(2026, 12, 10), date(2026, 12, 11), False),
        (SIGNED_FROM, UNTIL, date(2026, 11, 20), date(2026, 11, 26), False),  # in cooling-off
        (None, None, date(2026, 11, 20), date(2026, 11, 26), False),  # signing not heard of
    ],
)
def test_advice_is_allowed_only_inside_an_unrescinded_agreement(
    advice_from: date | None,
    valid_until: date | None,
    rescinded_on: date | None,
    on: date,
    allowed: bool,
) -> None:
    assert (
        allows_advice(
            advice_from=advice_from, valid_until=valid_until, rescinded_on=rescinded_on, on=on
        )
        is allowed
    )


def test_advice_and_other_content_travel_under_their_own_templates() -> None:
    assert template_for(advice=True) == ADVICE_TEMPLATE == "ADVISORY_CONTENT"
    assert template_for(advice=False) == NOTICE_TEMPLATE == "CONTENT_NOTICE"
    assert campaign_id_for("abc") == "content-abc"


def test_chunks_take_disjoint_id_ranges_whatever_order_they_are_planned_in() -> None:
    assert CHUNK_MAX == 5000  # ContentAudienceResolved.customer_ids max_length
    assert [first_seq(n) for n in (1, 2, 3)] == [0, 5000, 10000]
    # chunk n's rows are first_seq(n) + 1 .. first_seq(n) + 5000: the next chunk starts after.
    assert first_seq(2) + CHUNK_MAX == first_seq(3)
    with pytest.raises(ValueError, match="numbered from 1"):
        first_seq(0)
