"""API shapes of the catalogue."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from .rules import Product


class FeeBandRead(BaseModel):
    from_amount: Decimal
    annual_rate: Decimal


class ProductRead(BaseModel):
    code: str
    name: str
    name_zh: str
    kind: str
    risk_level: str
    content: list[str]
    delivery: list[str]
    tools: list[str]
    tiers: list[str]
    advice: bool
    price_rule: str
    fee_bands: list[FeeBandRead] = []

    @classmethod
    def of(cls, product: Product, price_rule: str) -> ProductRead:
        return cls(
            code=product.code,
            name=product.name,
            name_zh=product.name_zh,
            kind=product.kind,
            risk_level=product.risk_level,
            content=list(product.content),
            delivery=list(product.delivery),
            tools=list(product.tools),
            tiers=sorted(product.tiers),
            advice=product.advice,
            price_rule=price_rule,
            fee_bands=[
                FeeBandRead(from_amount=b.lower, annual_rate=b.rate) for b in product.fee_bands
            ],
        )
