"""Staff steps on a campaign: approve (four-eyes), pause, resume, end."""

from __future__ import annotations

import enum

from application.campaigns.audit import audit_campaign
from application.campaigns.queries import CampaignReport
from application.ports import Clock, UnitOfWorkFactory
from application.staff import Actor
from domain.campaigns import normalise_code
from domain.staff import AuditAction


class CampaignStep(enum.StrEnum):
    APPROVE = "approve"
    PAUSE = "pause"
    RESUME = "resume"
    END = "end"


_ACTIONS = {
    CampaignStep.APPROVE: AuditAction.CAMPAIGN_APPROVED,
    CampaignStep.PAUSE: AuditAction.CAMPAIGN_PAUSED,
    CampaignStep.RESUME: AuditAction.CAMPAIGN_RESUMED,
    CampaignStep.END: AuditAction.CAMPAIGN_ENDED,
}


class ChangeCampaign:
    """One staff step, under the campaign's row lock (two staff clicking at once step it
    once; the second finds the new state and is `IllegalTransition`), audited with the state
    before. The approver must not be the creator (`Forbidden`)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, code: str, step: CampaignStep, actor: Actor) -> CampaignReport:
        async with self._uow() as uow:
            campaign = await uow.campaigns.get(normalise_code(code), for_update=True)
            if step is CampaignStep.APPROVE:
                changed = campaign.approve(actor.label)
            elif step is CampaignStep.PAUSE:
                changed = campaign.pause()
            elif step is CampaignStep.RESUME:
                changed = campaign.resume()
            else:
                changed = campaign.end()
            await uow.campaigns.set_state(changed.code, changed.state, changed.approved_by)
            await audit_campaign(
                uow,
                _ACTIONS[step],
                actor,
                changed,
                self._clock.now(),
                before={"state": campaign.state.value},
            )
            budget = await uow.budgets.get(changed.code)
            await uow.commit()
        return CampaignReport(changed, budget, ())
