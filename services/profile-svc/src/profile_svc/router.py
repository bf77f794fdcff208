"""profile-svc's HTTP API: every domain's routes (each: parse -> authorize -> service -> commit
-> response), all under /v1 (``dependencies.API_PREFIX``)."""

from __future__ import annotations

from fastapi import APIRouter

from .crm.router import router as crm
from .customers.router import router as customers
from .risk.router import router as risk
from .segments.router import router as segments
from .transfers.router import router as transfers

router = APIRouter()
for domain in (customers, risk, segments, crm, transfers):
    router.include_router(domain)
