"""Pure agreement rules: on which days an agreement lets advice through.

Nothing here does I/O. ``agreements.service.agreement_valid_on`` is the same rule in SQL.
"""

from __future__ import annotations

from datetime import date


def allows_advice(
    *,
    advice_from: date | None,
    valid_until: date | None,
    rescinded_on: date | None,
    on: date,
) -> bool:
    """Advice may go on ``on``: the cooling-off is over (``advice_from`` ≤ day), the agreement
    has not ended (day ≤ ``valid_until``, open-ended when null) and it was not rescinded on
    or before the day. An agreement whose signing we have not heard of yet allows nothing."""
    if advice_from is None or on < advice_from:
        return False
    if valid_until is not None and on > valid_until:
        return False
    return rescinded_on is None or rescinded_on > on
