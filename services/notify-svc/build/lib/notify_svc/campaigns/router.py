"""Campaign routes: create a group message, read its progress."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal
from brokerage_common.web import SessionDep

from ..deps import SCOPE_CAMPAIGNS, ClockDep, actor, staff_or_scope
from ..models import Campaign
from . import service
from .schemas import CampaignCreate, CampaignRead

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)


def _campaign_read(campaign: Campaign, counts: dict[str, int]) -> CampaignRead:
    return CampaignRead(
        id=campaign.id,
        name=campaign.name,
        template_code=campaign.template_code,
        category=campaign.category,
        kind=campaign.kind,
        branch_id=campaign.branch_id,
        state=campaign.state,
        planned=campaign.planned,
        skipped=campaign.skipped,
        counts=counts,
        created_at=campaign.created_at,
        expanded_at=campaign.expanded_at,
    )


@router.post(
    "/campaigns",
    response_model=CampaignRead,
    status_code=status.HTTP_202_ACCEPTED,
    tags=["campaigns"],
)
async def create_campaign(
    body: CampaignCreate, session: SessionDep, principal: CurrentPrincipal, clock: ClockDep
) -> CampaignRead:
    """A group message to listed customers or to a branch's (consenting) customers; the worker
    turns it into messages in chunks. Staff reach their own branch only."""
    staff_or_scope(principal, SCOPE_CAMPAIGNS)
    restrict = principal.branch_id if principal.is_staff else None
    if body.segment is not None and restrict is not None and body.segment.branch_id != restrict:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "staff may only reach their own branch")
    campaign, _ = await service.create_campaign(
        session,
        template_code=body.template_code,
        name=body.name,
        params=dict(body.params),
        customer_ids=body.customer_ids,
        branch_id=body.segment.branch_id if body.segment else None,
        restrict_branch=restrict,
        send_at=body.send_at,
        actor=actor(principal),
        now=clock(),
    )
    await session.commit()
    return _campaign_read(campaign, {})


@router.get("/campaigns/{campaign_id}", response_model=CampaignRead, tags=["campaigns"])
async def read_campaign(
    campaign_id: str, session: SessionDep, principal: CurrentPrincipal
) -> CampaignRead:
    """A campaign's progress: messages by state."""
    staff_or_scope(principal, SCOPE_CAMPAIGNS)
    campaign, counts = await service.campaign_progress(session, campaign_id=campaign_id)
    if principal.is_staff and campaign.branch_id != principal.branch_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "another branch's campaign")
    return _campaign_read(campaign, counts)
