"""Subscription use cases: subscribe, renew, end, points-paid SMS, tier drops, daily jobs.

Session first, keyword-only arguments; each writes its outbox rows and never commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from brokerage_common import Outbox
from brokerage_common import events as ev

from ..agreements.service import has_signed_agreement
from ..calendars import CalendarNotCovered
from ..catalogue.rules import (
    ADVICE_CODES,
    BUNDLE_CODES,
    SMS_CODES,
    Prices,
    Product,
    catalogue,
    quote,
)
from ..errors import Invalid, NotAllowed, NotFound
from ..offers.rules import CustomerFacts, decide, suitability
from ..offers.service import mark_changed
from ..readmodels.service import base_rate, customer_facts
from . import rules
from .models import MismatchConfirmation, Subscription

Payment = Literal["cash", "points", "included"]
BUNDLE_ENDING_TEMPLATE = "BUNDLE_ENDING"


@dataclass(frozen=True)
class Confirmation:
    """A confirmed mismatch warning: who confirmed which version of the warning text."""

    confirmed: bool
    warning_version: str
    actor: str


def _new_id() -> str:
    return uuid.uuid4().hex


async def active_subscriptions(session: AsyncSession, *, customer_id: str) -> list[Subscription]:
    rows = await session.execute(
        select(Subscription).where(
            col(Subscription.customer_id) == customer_id,
            col(Subscription.status) == "active",
        )
    )
    return list(rows.scalars())


async def list_subscriptions(session: AsyncSession, *, customer_id: str) -> list[Subscription]:
    rows = await session.execute(
        select(Subscription)
        .where(col(Subscription.customer_id) == customer_id)
        .order_by(col(Subscription.created_at), col(Subscription.subscription_id))
    )
    return list(rows.scalars())


def _subscribed_event(sub: Subscription, *, renewal: bool, mismatch: bool) -> ev.ProductSubscribed:
    return ev.ProductSubscribed(
        customer_id=sub.customer_id,
        subscription_id=sub.subscription_id,
        product_code=sub.product_code,
        starts_on=sub.starts_on,
        ends_on=sub.ends_on,
        term_months=sub.term_months,
        payment=sub.payment,
        renewal=renewal,
        commission_rate=sub.commission_rate,
        base_rate=sub.base_rate,
        monthly_fee=sub.monthly_fee,
        points=sub.points,
        included_with=sub.included_with,
        mismatch_confirmed=mismatch,
    )


async def _check_suitability(
    session: AsyncSession,
    *,
    product: Product,
    facts: CustomerFacts,
    sub_id: str,
    confirmation: Confirmation,
    today: date,
) -> bool:
    """True when a confirmed mismatch was recorded; raises when the product is refused."""
    fit = suitability(product.risk_level, facts, today)
    if fit.verdict == "suitable":
        return False
    if fit.verdict == "refused":
        raise NotAllowed(fit.message, [fit.reason or "suitability"])
    if not confirmation.confirmed:
        raise NotAllowed(
            f"{fit.message} (warning {confirmation.warning_version})", ["suitability_mismatch"]
        )
    level = facts.valid_level(today)
    session.add(
        MismatchConfirmation(
            customer_id=facts.customer_id,
            subscription_id=sub_id,
            product_code=product.code,
            product_risk=product.risk_level,
            customer_level=f"C{level}",
            warning_version=confirmation.warning_version,
            confirmed_by=confirmation.actor,
            confirmed_at=datetime.now(UTC),
        )
    )
    return True


async def subscribe(
    session: AsyncSession,
    *,
    facts: CustomerFacts,
    product_code: str,
    payment: Payment,
    term_months: int,
    confirmation: Confirmation,
    entrusted_amount: Decimal | None,
    today: date,
    prices: Prices,
    outbox: Outbox,
) -> Subscription:
    """Start a paid product for ``term_months`` (ending at a month end)."""
    product = catalogue(prices).get(product_code)
    if product is None:
        raise NotFound(f"unknown product {product_code!r}")
    if product.kind == "free":
        raise Invalid(f"{product_code} is free: there is nothing to subscribe to")
    if payment == "points":
        raise Invalid(
            "SMS months paid in points are redeemed at tiering-svc "
            "(POST /v1/customers/{id}/points/redemptions); the subscription follows from it"
        )
    if product.code == "D" and (entrusted_amount is None or entrusted_amount <= 0):
        raise Invalid("bundle D needs the entrusted amount (entrusted_amount > 0)")
    active = await active_subscriptions(session, customer_id=facts.customer_id)
    bundle = next((s for s in active if s.product_code in BUNDLE_CODES), None)
    if payment == "included" and (product.kind != "sms" or bundle is None):
        raise NotAllowed("only SMS1–3 are included, and only while a bundle runs", ["not_included"])
    signed = await has_signed_agreement(session, customer_id=facts.customer_id, today=today)
    decision = decide(
        product,
        facts,
        today=today,
        has_agreement=signed,
        active_codes=[s.product_code for s in active],
    )
    if not decision.offered:
        raise NotAllowed(f"{product_code} cannot be subscribed now", list(decision.reasons))
    sub_id = _new_id()
    mismatch = await _check_suitability(
        session, product=product, facts=facts, sub_id=sub_id, confirmation=confirmation, today=today
    )
    x = await base_rate(session, customer_id=facts.customer_id, standard=prices.standard_rate)
    price = quote(product, base_rate=x, prices=prices, entrusted_amount=entrusted_amount)
    sub = Subscription(
        subscription_id=sub_id,
        customer_id=facts.customer_id,
        product_code=product.code,
        payment="cash",
        starts_on=today,
        ends_on=rules.term_end(today, term_months),
        term_months=term_months,
        commission_rate=price.commission_rate,
        base_rate=x if price.commission_rate is not None else None,
        monthly_fee=price.monthly_fee,
        annual_fee=price.annual_fee,
        entrusted_amount=entrusted_amount if product.code == "D" else None,
        created_at=datetime.now(UTC),
    )
    if product.kind == "sms":
        if bundle is not None:  # free while a bundle runs, whatever was asked
            sub.payment, sub.monthly_fee, sub.included_with = (
                "included",
                None,
                bundle.subscription_id,
            )
            sub.ends_on = bundle.ends_on
        else:
            sub.cash_paid = rules.sms_cash_price(term_months, prices.sms_month_fee)
    session.add(sub)
    await mark_changed(session, customer_ids=[sub.customer_id])
    await session.flush()
    await outbox.add(session, _subscribed_event(sub, renewal=False, mismatch=mismatch))
    if product.kind == "bundle":
        await _include_sms(
            session, bundle=sub, facts=facts, active=active, today=today, outbox=outbox
        )
    return sub


async def _include_sms(
    session: AsyncSession,
    *,
    bundle: Subscription,
    facts: CustomerFacts,
    active: list[Subscription],
    today: date,
    outbox: Outbox,
) -> None:
    """SMS1–3 come free with a bundle: the ones not already running and suitable as they are
    (an included product carries no mismatch confirmation of its own)."""
    running = {s.product_code for s in active}
    products = catalogue()
    signed = await has_signed_agreement(session, customer_id=facts.customer_id, today=today)
    for code in SMS_CODES:
        product = products[code]
        if code in running or suitability(product.risk_level, facts, today).verdict != "suitable":
            continue
        if product.advice and not signed:
            continue
        sub = Subscription(
            subscription_id=_new_id(),
            customer_id=facts.customer_id,
            product_code=code,
            payment="included",
            starts_on=bundle.starts_on,
            ends_on=bundle.ends_on,
            term_months=bundle.term_months,
            included_with=bundle.subscription_id,
            created_at=datetime.now(UTC),
        )
        session.add(sub)
        await mark_changed(session, customer_ids=[sub.customer_id])
        await session.flush()
        await outbox.add(session, _subscribed_event(sub, renewal=False, mismatch=False))


async def get_subscription(
    session: AsyncSession, *, customer_id: str, subscription_id: str
) -> Subscription:
    sub = await session.get(Subscription, subscription_id)
    if sub is None or sub.customer_id != customer_id:
        raise NotFound("no such subscription for this customer")
    return sub


async def renew(
    session: AsyncSession,
    *,
    facts: CustomerFacts,
    subscription_id: str,
    term_months: int,
    confirmation: Confirmation,
    today: date,
    prices: Prices,
    outbox: Outbox,
) -> Subscription:
    """Extend an active cash subscription; tier and suitability are checked again."""
    sub = await get_subscription(
        session, customer_id=facts.customer_id, subscription_id=subscription_id
    )
    if sub.status != "active":
        raise NotAllowed("only an active subscription is renewed", ["not_active"])
    if sub.payment != "cash":
        raise NotAllowed(
            "included SMS follow their bundle; points-paid months are redeemed again",
            ["not_renewable"],
        )
    if not sub.renewable:
        raise NotAllowed("this bundle runs out after a tier drop and is not renewed", ["tier"])
    product = catalogue(prices)[sub.product_code]
    signed = await has_signed_agreement(session, customer_id=facts.customer_id, today=today)
    others = [
        s.product_code
        for s in await active_subscriptions(session, customer_id=facts.customer_id)
        if s.subscription_id != sub.subscription_id
    ]
    decision = decide(product, facts, today=today, has_agreement=signed, active_codes=others)
    if not decision.offered:
        raise NotAllowed(f"{sub.product_code} cannot be renewed now", list(decision.reasons))
    mismatch = await _check_suitability(
        session,
        product=product,
        facts=facts,
        sub_id=sub.subscription_id,
        confirmation=confirmation,
        today=today,
    )
    starts, ends = rules.renewal_term(sub.ends_on, term_months)
    x = await base_rate(session, customer_id=facts.customer_id, standard=prices.standard_rate)
    price = quote(product, base_rate=x, prices=prices, entrusted_amount=sub.entrusted_amount)
    sub.ends_on, sub.term_months = ends, term_months
    sub.commission_rate = price.commission_rate
    sub.base_rate = x if price.commission_rate is not None else None
    if product.kind == "sms":
        sub.cash_paid += rules.sms_cash_price(term_months, prices.sms_month_fee)
    event = _subscribed_event(sub, renewal=True, mismatch=mismatch)
    await outbox.add(session, event.model_copy(update={"starts_on": starts}))
    if product.kind == "bundle":
        for included in await _included_with(session, sub.subscription_id):
            included.ends_on = ends
            await outbox.add(
                session,
                _subscribed_event(included, renewal=True, mismatch=False).model_copy(
                    update={"starts_on": starts}
                ),
            )
    return sub


async def _included_with(session: AsyncSession, bundle_id: str) -> list[Subscription]:
    rows = await session.execute(
        select(Subscription).where(
            col(Subscription.included_with) == bundle_id,
            col(Subscription.status) == "active",
        )
    )
    return list(rows.scalars())


async def end(
    session: AsyncSession,
    *,
    sub: Subscription,
    today: date,
    reason: Literal["customer", "tier_drop", "bundle_ended", "rescinded", "expired"],
    standard_rate: Decimal,
    outbox: Outbox,
    refund: Decimal | None = None,
) -> Subscription:
    """End an active subscription (a bundle takes its included SMS with it)."""
    if sub.status == "ended":
        raise NotAllowed("this subscription has already ended", ["not_active"])
    sub.status, sub.ended_on, sub.end_reason = "ended", today, reason
    await mark_changed(session, customer_ids=[sub.customer_id])
    sub.ends_on = min(sub.ends_on, today)
    rate = None
    if sub.commission_rate is not None:  # the trading system goes back to X
        rate = await base_rate(session, customer_id=sub.customer_id, standard=standard_rate)
    await outbox.add(
        session,
        ev.ProductUnsubscribed(
            customer_id=sub.customer_id,
            subscription_id=sub.subscription_id,
            product_code=sub.product_code,
            ended_on=today,
            reason=reason,
            commission_rate=rate,
            refund=refund,
        ),
    )
    if sub.product_code in BUNDLE_CODES:
        for included in await _included_with(session, sub.subscription_id):
            await end(
                session,
                sub=included,
                today=today,
                reason="bundle_ended",
                standard_rate=standard_rate,
                outbox=outbox,
            )
    return sub


async def subscribe_with_points(
    session: AsyncSession,
    *,
    redemption: ev.PointsRedeemed,
    today: date,
    outbox: Outbox,
) -> Subscription | None:
    """SMS months paid in points at tiering (``PointsRedeemed`` ``sms_months``): once per
    redemption id. Points are already spent, so an unsuitable or unknown customer's months
    are kept on hold (status ``held``) for staff to settle rather than dropped."""
    if redemption.kind != "sms_months" or redemption.sms_product is None:
        return None
    existing = (
        await session.execute(
            select(Subscription).where(col(Subscription.redemption_id) == redemption.redemption_id)
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    months = redemption.months or 1
    facts = await customer_facts(session, customer_id=redemption.customer_id)
    product = catalogue()[redemption.sms_product]
    ok = facts is not None and suitability(product.risk_level, facts, today).verdict == "suitable"
    if ok and product.advice and facts is not None:
        ok = await has_signed_agreement(session, customer_id=facts.customer_id, today=today)
    sub = Subscription(
        subscription_id=_new_id(),
        customer_id=redemption.customer_id,
        product_code=product.code,
        payment="points",
        status="active" if ok else "held",
        starts_on=today,
        ends_on=redemption.valid_until or rules.term_end(today, months),
        term_months=months,
        points=redemption.points,
        redemption_id=redemption.redemption_id,
        created_at=datetime.now(UTC),
    )
    session.add(sub)
    await mark_changed(session, customer_ids=[sub.customer_id])
    await session.flush()
    if ok:
        await outbox.add(session, _subscribed_event(sub, renewal=False, mismatch=False))
    return sub


async def apply_tier_drop(
    session: AsyncSession, *, customer_id: str, effective_on: date
) -> list[Subscription]:
    """Running bundles run to the end of their current month, are not renewed, and the
    customer is told 5 trading days before (the daily job sends it)."""
    changed = []
    for sub in await active_subscriptions(session, customer_id=customer_id):
        if sub.product_code not in BUNDLE_CODES or not sub.renewable:
            continue
        sub.renewable = False
        sub.ends_on = rules.bundle_end_after_drop(sub.ends_on, effective_on)
        try:
            sub.drop_notice_on = max(effective_on, rules.drop_notice_on(sub.ends_on))
        except CalendarNotCovered:
            sub.drop_notice_on = effective_on  # tell at once rather than too late
        for included in await _included_with(session, sub.subscription_id):
            included.ends_on = sub.ends_on
        changed.append(sub)
    return changed


async def run_daily_jobs(
    session: AsyncSession, *, today: date, standard_rate: Decimal, outbox: Outbox
) -> dict[str, int]:
    """Tier-drop notices due today, then every subscription whose term is over ends."""
    due = await session.execute(
        select(Subscription).where(
            col(Subscription.status) == "active",
            col(Subscription.renewable).is_(False),
            col(Subscription.drop_notice_sent_at).is_(None),
            col(Subscription.drop_notice_on) <= today,
        )
    )
    notices = 0
    for sub in due.scalars():
        await outbox.add(
            session,
            ev.NotificationRequested(
                customer_id=sub.customer_id,
                template_code=BUNDLE_ENDING_TEMPLATE,
                category="service",
                params={"product": sub.product_code, "ends_on": sub.ends_on.isoformat()},
            ),
        )
        sub.drop_notice_sent_at = datetime.now(UTC)
        notices += 1
    over = await session.execute(
        select(Subscription)
        .where(col(Subscription.status) == "active", col(Subscription.ends_on) < today)
        .order_by(col(Subscription.included_with).is_not(None))
    )
    ended = 0
    for sub in over.scalars():
        if sub.status != "active":  # ended with its bundle earlier in this loop
            continue
        await end(
            session,
            sub=sub,
            today=sub.ends_on,
            reason="expired" if sub.renewable else "tier_drop",
            standard_rate=standard_rate,
            outbox=outbox,
        )
        ended += 1
    return {"notices": notices, "ended": ended}


async def end_advice(
    session: AsyncSession,
    *,
    customer_id: str,
    today: date,
    in_cooling_off: bool,
    standard_rate: Decimal,
    outbox: Outbox,
) -> list[Subscription]:
    """An agreement rescinded: advice products stop now; in the cooling-off, with a full refund
    of what was paid for them."""
    ended = []
    for sub in await active_subscriptions(session, customer_id=customer_id):
        if sub.product_code not in ADVICE_CODES or sub.status != "active":
            continue
        refund = sub.cash_paid if in_cooling_off else None
        ended.append(
            await end(
                session,
                sub=sub,
                today=today,
                reason="rescinded",
                standard_rate=standard_rate,
                outbox=outbox,
                refund=refund,
            )
        )
    return ended
