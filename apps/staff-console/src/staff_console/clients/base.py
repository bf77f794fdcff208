"""One HTTP client per service over the app's shared httpx client, with the caller's token.

Every failure becomes one of two exceptions a page can render: ``ServiceUnavailable`` (the
service is absent, slow or broken: a panel, never a 500) and ``ServiceRefused`` (it answered
with a 4xx: the page shows the service's reason).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from brokerage_common.tracing import outgoing_headers

log = logging.getLogger(__name__)


class ServiceUnavailable(Exception):
    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


class ServiceRefused(Exception):
    def __init__(self, service: str, status_code: int, detail: Any) -> None:
        super().__init__(f"{service}: {status_code}")
        self.service = service
        self.status_code = status_code
        self.detail = detail

    @property
    def message(self) -> str:
        """The service's reason as one line (FastAPI's 422 list, ops' rule list flattened)."""
        if isinstance(self.detail, dict) and isinstance(self.detail.get("problems"), list):
            return "；".join(str(p) for p in self.detail["problems"])
        if isinstance(self.detail, list):
            parts = []
            for item in self.detail:
                if isinstance(item, dict):
                    loc = ".".join(str(p) for p in item.get("loc", [])[1:])
                    parts.append(f"{loc}: {item.get('msg', '')}" if loc else str(item.get("msg")))
                else:
                    parts.append(str(item))
            return "；".join(parts)
        return str(self.detail)


class ServiceClient:
    """Calls one service with the caller's token."""

    def __init__(self, http: httpx.AsyncClient, *, service: str, base_url: str) -> None:
        self.http = http
        self.service = service
        self.base_url = base_url.rstrip("/")

    async def get(self, path: str, *, token: str, params: dict[str, Any] | None = None) -> Any:
        return await self._send("GET", path, token=token, params=params)

    async def post(self, path: str, *, token: str, json: Any) -> Any:
        return await self._send("POST", path, token=token, json=json)

    async def put(self, path: str, *, token: str, json: Any) -> Any:
        return await self._send("PUT", path, token=token, json=json)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        token: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        try:
            resp = await self.http.request(
                method,
                self.base_url + path,
                params={k: v for k, v in (params or {}).items() if v is not None},
                json=json,
                # The page's request id and trace go along: one id across console and services.
                headers={"Authorization": f"Bearer {token}", **outgoing_headers()},
            )
        except httpx.TimeoutException as exc:
            raise ServiceUnavailable(self.service, "没有及时应答") from exc
        except httpx.TransportError as exc:
            raise ServiceUnavailable(self.service, "无法连接") from exc
        if resp.status_code >= 500:
            # Path only, no query: a query may carry a search term.
            log.warning(
                "service call failed",
                extra={"service": self.service, "status": resp.status_code, "method": method},
            )
            raise ServiceUnavailable(self.service, f"应答 {resp.status_code}")
        if resp.status_code >= 400:
            try:
                detail = resp.json().get("detail", resp.text)
            except ValueError:
                detail = resp.text[:200]
            raise ServiceRefused(self.service, resp.status_code, detail)
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return resp.json()
        except ValueError as exc:
            raise ServiceUnavailable(self.service, "应答不是 JSON") from exc
