"""tiering-svc's HTTP routes: each domain's router, in the order of the API document."""

from __future__ import annotations

from fastapi import APIRouter

from .ledger.router import router as ledger_router
from .routing.router import router as routing_router
from .tiers.router import router as tiers_router

router = APIRouter()
router.include_router(tiers_router)
router.include_router(ledger_router)
router.include_router(routing_router)
