"""Staff create a campaign: with its budget, active at once, or awaiting a second staff
member's approval when its budget is large (four-eyes)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from application.campaigns.audit import audit_campaign
from application.ports import Clock, UnitOfWorkFactory
from application.promotions.four_eyes import budgeted_since
from application.staff import Actor
from domain.adjustments import WindowTotals
from domain.campaigns import Campaign, CampaignFourEyes, CampaignState
from domain.errors import IdempotencyConflict, NotFound
from domain.staff import AuditAction


@dataclass(frozen=True, slots=True)
class CreatedCampaign:
    campaign: Campaign
    needs_approval: bool


class CreateCampaign:
    """Store the campaign and open its promotion budget (same code, its `budget` as total).
    The four-eyes rule counts what the staff member budgeted in the currency over the window
    (campaigns created and budget raises asked for), not only this one: when this budget, or
    this budget added to theirs, exceeds the threshold, the campaign waits
    (`awaiting_approval`, granting nothing) for another staff member's `approve`. A code
    already taken, by a campaign or any promotion budget, is `IdempotencyConflict`."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, four_eyes: CampaignFourEyes) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = four_eyes.policy

    async def __call__(self, campaign: Campaign, actor: Actor) -> CreatedCampaign:
        now = self._clock.now()
        campaign = replace(campaign, created_by=actor.label, created_at=now)
        async with self._uow() as uow:
            try:
                await uow.budgets.get(campaign.code)
            except NotFound:
                pass
            else:
                raise IdempotencyConflict(f"the code {campaign.code!r} is taken")
            already = await budgeted_since(
                uow, actor.label, campaign.currency, now - self._policy.window
            )
            waits = self._policy.needs_approval(campaign.budget, WindowTotals(staff=already))
            if waits:
                campaign = replace(campaign, state=CampaignState.AWAITING_APPROVAL)
            else:
                campaign = replace(campaign, state=CampaignState.ACTIVE)
            await uow.budgets.open(campaign.code, campaign.budget)
            await uow.campaigns.add(campaign)
            await audit_campaign(
                uow, AuditAction.CAMPAIGN_CREATED, actor, campaign, now, before=None
            )
            await uow.commit()
        return CreatedCampaign(campaign, waits)
