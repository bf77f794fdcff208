"""GET /v1/products: the catalogue with each product's price rule."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal

from ..deps import SettingsDep
from .rules import catalogue, per_mille
from .schemas import ProductRead

router = APIRouter(prefix="/v1", tags=["catalogue"], responses=ERROR_RESPONSES)


def _price_rule(code: str, settings: SettingsDep) -> str:
    p = settings.prices()
    product = catalogue(p)[code]
    if product.kind == "free":
        return "free"
    if product.kind == "sms":
        return f"{p.sms_month_fee} CNY or {p.sms_month_points} points a month; free with a bundle"
    rule = product.rate
    if rule is None:
        return "annual fee, % of the entrusted assets, marginal by band; billed monthly in arrears"
    if rule.fixed is not None:
        return f"{per_mille(rule.fixed)} (or X if higher)"
    if rule.cap is None:
        return "X (no mark-up)"
    return (
        f"X + {per_mille(rule.markup or Decimal(0))}, at most {per_mille(rule.cap)}, never below X"
    )


@router.get("/products", response_model=list[ProductRead])
async def list_products(_principal: CurrentPrincipal, settings: SettingsDep) -> list[ProductRead]:
    """Free products, SMS1–3 and bundles A–E with risk level, delivery, tools and price rule."""
    return [
        ProductRead.of(p, _price_rule(p.code, settings))
        for p in catalogue(settings.prices()).values()
    ]
