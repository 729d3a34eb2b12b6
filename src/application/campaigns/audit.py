"""The audit entry of a staff step on a campaign."""

from __future__ import annotations

from datetime import datetime

from application.ports import UnitOfWork
from application.staff import Actor
from domain.campaigns import Campaign
from domain.staff import AuditAction, AuditEntry


def campaign_record(campaign: Campaign) -> dict[str, object]:
    return {
        "code": campaign.code,
        "kind": campaign.kind.value,
        "state": campaign.state.value,
        "currency": campaign.currency.code,
        "amount": campaign.amount.amount,
        "budget": campaign.budget.amount,
        "match_percent": campaign.match_percent,
        "max_uses": campaign.max_uses,
        "audience": campaign.target.audience.value,
        "players": len(campaign.target.players),
        "starts_at": campaign.starts_at.isoformat(),
        "ends_at": campaign.ends_at.isoformat(),
    }


async def audit_campaign(
    uow: UnitOfWork,
    action: AuditAction,
    actor: Actor,
    campaign: Campaign,
    now: datetime,
    before: dict[str, object] | None,
) -> None:
    await uow.audit.record(
        AuditEntry(
            action,
            now,
            actor.label,
            f"campaign:{campaign.code}",
            actor.source,
            before=before,
            after=campaign_record(campaign),
        )
    )
