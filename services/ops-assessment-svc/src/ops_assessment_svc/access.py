"""Who sees what (domain.md §5.1): a branch's staff their branch, HQ every branch, no customer."""

from __future__ import annotations

from brokerage_common import Principal
from brokerage_common.auth import HQ_BRANCH

from .exceptions import Forbidden, NotFound

ONLY_STAFF = "only staff may read service groups, cases and assessments"
OWN_BRANCH = "staff may only access their own branch"


def ensure_staff_of(principal: Principal, branch_id: str | None) -> None:
    """Staff of that branch, or headquarters; customers and services never."""
    if not principal.is_staff:
        raise Forbidden(ONLY_STAFF)
    if principal.branch_id != HQ_BRANCH and principal.branch_id != branch_id:
        raise Forbidden(OWN_BRANCH)


def ensure_staff_sees(
    principal: Principal, branch_id: str | None, *, found: bool, missing: str
) -> None:
    """``ensure_staff_of`` for a row looked up by its id. An unknown id answers a branch's
    staff as another branch's row does (403): they may not learn which ids exist elsewhere
    (ADR 0012, addendum). Headquarters see every branch, so an unknown id is 404 for them."""
    if not principal.is_staff:
        raise Forbidden(ONLY_STAFF)
    if not found:
        if principal.branch_id == HQ_BRANCH:
            raise NotFound(missing)
        raise Forbidden(OWN_BRANCH)
    ensure_staff_of(principal, branch_id)


def ensure_manager_of(principal: Principal, branch_id: str | None) -> None:
    """The branch's manager (or an HQ manager): groups, targets and weights are theirs."""
    ensure_staff_of(principal, branch_id)
    if "manager" not in principal.staff_roles:
        raise Forbidden("requires the staff role manager")


def sees_whole_branch(principal: Principal) -> bool:
    return principal.is_staff and "manager" in principal.staff_roles


def branch_scope(principal: Principal, branch_id: str | None) -> str:
    """The branch a list is about: the caller's own, or any for HQ (which must name one)."""
    if not principal.is_staff:
        raise Forbidden(ONLY_STAFF)
    if principal.branch_id == HQ_BRANCH:
        if branch_id is None:
            raise Forbidden("headquarters name the branch (?branch_id=)")
        return branch_id
    if branch_id is not None and branch_id != principal.branch_id:
        raise Forbidden("staff may only access their own branch")
    return str(principal.branch_id)
