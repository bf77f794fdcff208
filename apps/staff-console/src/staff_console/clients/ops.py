"""ops-assessment-svc (8005): groups and the roster, retention, complaints, the assessment.

Paths and bodies as the service's routers define them (``*/router.py``, ADR 0011).
"""

from __future__ import annotations

from typing import Any

from .base import ServiceClient


class OpsClient(ServiceClient):
    async def staff(self, *, token: str) -> Any:
        return await self.get("/v1/staff", token=token)

    async def groups(self, *, token: str) -> Any:
        return await self.get("/v1/groups", token=token)

    async def form_group(self, *, token: str, body: dict[str, Any]) -> Any:
        """``{"name", "members": [staff ids]}``: roles come from the roster."""
        return await self.post("/v1/groups", token=token, json=body)

    async def change_members(self, group_id: str, *, token: str, body: dict[str, Any]) -> Any:
        """``{"members": [staff ids], "reason"}``."""
        return await self.put(f"/v1/groups/{group_id}/members", token=token, json=body)

    async def customer_group(self, customer_id: str, *, token: str) -> Any:
        """CustomerGroupRead: ``group_id`` (None: the branch queue), name, members, since."""
        return await self.get(f"/v1/customers/{customer_id}/group", token=token)

    async def retention_cases(
        self,
        *,
        token: str,
        state: str = "open",
        limit: int | None = None,
        offset: int = 0,
        overdue_first: bool = False,
    ) -> Any:
        """The queue, paged on the server when ``limit`` is given."""
        params: dict[str, Any] = {"state": state, "limit": limit, "offset": offset or None}
        if overdue_first:
            params["order"] = "overdue_first"
        return await self.get("/v1/retention-cases", token=token, params=params)

    async def act_on_case(self, case_id: str, *, token: str, body: dict[str, Any]) -> Any:
        """``{"kind": call|offer|outcome, "reason"?, "offer"?, "outcome"?, "note"}``."""
        return await self.post(f"/v1/retention-cases/{case_id}/actions", token=token, json=body)

    async def complaints(
        self, *, token: str, overdue: bool = False, owner_id: str | None = None
    ) -> Any:
        return await self.get(
            "/v1/complaints",
            token=token,
            params={"overdue": "true" if overdue else None, "owner_id": owner_id},
        )

    async def file_complaint(self, *, token: str, body: dict[str, Any]) -> Any:
        """``{"customer_id", "category", "description"}``."""
        return await self.post("/v1/complaints", token=token, json=body)

    async def complaint_analysis(self, *, token: str) -> Any:
        """Rows of month, branch, category, complaints, upheld."""
        return await self.get("/v1/complaints/analysis", token=token)

    async def ranking(self, month: str, *, token: str) -> Any:
        return await self.get(f"/v1/assessments/{month}", token=token)

    async def scorecard(self, month: str, group_id: str, *, token: str) -> Any:
        return await self.get(f"/v1/assessments/{month}/groups/{group_id}", token=token)

    async def weights(self, *, token: str) -> Any:
        """WeightsRead: ``kj_mode`` and ``phases`` [{phase, weights, is_default, …}]."""
        return await self.get("/v1/assessment-weights", token=token)

    async def save_weights(self, phase: str, *, token: str, body: dict[str, Any]) -> Any:
        """``{"weights": {metric: int}, "complaint_penalty"}``; 204."""
        return await self.put(f"/v1/assessment-weights/{phase}", token=token, json=body)
