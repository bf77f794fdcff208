"""The console's service clients: one per service, sharing one httpx client."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ..config import Settings
from .advisory import AdvisoryClient
from .base import ServiceClient, ServiceRefused, ServiceUnavailable
from .notify import NotifyClient
from .ops import OpsClient
from .profile import ProfileClient
from .tiering import TieringClient

__all__ = [
    "AdvisoryClient",
    "Clients",
    "NotifyClient",
    "OpsClient",
    "ProfileClient",
    "ServiceClient",
    "ServiceRefused",
    "ServiceUnavailable",
    "TieringClient",
]


@dataclass(frozen=True)
class Clients:
    profile: ProfileClient
    tiering: TieringClient
    notify: NotifyClient
    advisory: AdvisoryClient
    ops: OpsClient

    @classmethod
    def build(cls, http: httpx.AsyncClient, settings: Settings) -> Clients:
        return cls(
            profile=ProfileClient(http, service="profile-svc", base_url=settings.profile_url),
            tiering=TieringClient(http, service="tiering-svc", base_url=settings.tiering_url),
            notify=NotifyClient(http, service="notify-svc", base_url=settings.notify_url),
            advisory=AdvisoryClient(http, service="advisory-svc", base_url=settings.advisory_url),
            ops=OpsClient(http, service="ops-assessment-svc", base_url=settings.ops_url),
        )
