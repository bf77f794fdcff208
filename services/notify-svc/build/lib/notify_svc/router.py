"""notify-svc HTTP routes: each domain's router, in one place for create_app."""

from __future__ import annotations

from fastapi import APIRouter

from .agreements.router import router as agreements
from .campaigns.router import router as campaigns
from .delivery.router import router as delivery
from .planning.router import router as planning
from .recipients.router import router as recipients
from .reminders.router import router as reminders
from .templates.router import router as templates

router = APIRouter()
for domain in (delivery, recipients, templates, agreements, campaigns, reminders, planning):
    router.include_router(domain)
