"""Pure transfer-away rules: what a recorded request does to the customer's status."""

from __future__ import annotations

from ..customers.rules import CustomerStatus

__all__ = ["status_after_transfer_request"]


def status_after_transfer_request(current: CustomerStatus) -> CustomerStatus | None:
    """Status once a transfer-away request is recorded, or None when it does not change.

    A customer who already left stays transferred out; a second request changes nothing.
    """
    if current in (CustomerStatus.ACTIVE, CustomerStatus.DORMANT):
        return CustomerStatus.TRANSFER_REQUESTED
    return None
