"""ops-assessment-svc (8005), written against api.md: groups, retention, complaints, rankings.

Being built beside the console; a 404 means "not deployed yet" (the not-available panel).
Two paths are not in api.md and are this client's guess until the service publishes its
OpenAPI document: the complaint analysis and the weights by phase (marked below).
"""

from __future__ import annotations

from typing import Any

from .base import ServiceClient


class OpsClient(ServiceClient):
    async def groups(self, *, token: str) -> Any:
        return await self.get("/v1/groups", token=token)

    async def create_group(self, *, token: str, body: dict[str, Any]) -> Any:
        return await self.post("/v1/groups", token=token, json=body)

    async def group_customers(self, group_id: str, *, token: str) -> Any:
        return await self.get(f"/v1/groups/{group_id}/customers", token=token)

    async def retention_cases(self, *, token: str, state: str = "open") -> Any:
        return await self.get("/v1/retention-cases", token=token, params={"state": state})

    async def act_on_case(self, case_id: str, *, token: str, body: dict[str, Any]) -> Any:
        return await self.post(f"/v1/retention-cases/{case_id}/actions", token=token, json=body)

    async def complaints(self, *, token: str, overdue: bool = False) -> Any:
        return await self.get(
            "/v1/complaints", token=token, params={"overdue": "true" if overdue else None}
        )

    async def file_complaint(self, *, token: str, body: dict[str, Any]) -> Any:
        return await self.post("/v1/complaints", token=token, json=body)

    async def complaint_analysis(self, *, token: str) -> Any:
        # Not in api.md: the analysis by category and month (domain.md §7); path to confirm.
        return await self.get("/v1/complaints/analysis", token=token)

    async def ranking(self, month: str, *, token: str) -> Any:
        return await self.get(f"/v1/assessments/{month}", token=token)

    async def scorecard(self, month: str, group_id: str, *, token: str) -> Any:
        return await self.get(f"/v1/assessments/{month}/groups/{group_id}", token=token)

    async def weights(self, *, token: str) -> Any:
        # Not in api.md: weights by phase (domain.md §5.1); path to confirm.
        return await self.get("/v1/assessment-weights", token=token)

    async def save_weights(self, phase: str, *, token: str, body: dict[str, Any]) -> Any:
        return await self.put(f"/v1/assessment-weights/{phase}", token=token, json=body)
