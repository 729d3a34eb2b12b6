"""A deposit is credited: an active deposit match the player is eligible for grants its bonus
in the same transaction (called by the credit use cases, `CreditDeposit` and
`CreditStarsPayment`, after their posting)."""

from __future__ import annotations

from datetime import datetime

from application.campaigns.granting import CampaignGrant, GrantRequest, grant_quietly
from application.ports import IdGenerator, UnitOfWork
from domain.campaigns import CampaignKind
from domain.money import Money


async def match_deposit(
    uow: UnitOfWork,
    ids: IdGenerator,
    *,
    player_id: int,
    deposit: Money,
    deposit_key: str,
    now: datetime,
    shards: int,
) -> CampaignGrant | None:
    """The bonus of the first open deposit match (oldest first) that gives this player one
    for this deposit, or None. Never refuses or fails the deposit: a campaign that would not
    grant (a protected player, outside the target, had it, run out) is skipped and logged
    (`grant_quietly`). Idempotent by the deposit's ledger key (the grant's key is
    `deposit-match:{deposit key}`); the caller calls it only for a deposit posted now, not a
    replay."""
    for campaign in await uow.campaigns.open_of_kind(
        CampaignKind.DEPOSIT_MATCH, deposit.currency, now
    ):
        request = GrantRequest(
            campaign,
            player_id,
            key=f"deposit-match:{deposit_key}",
            now=now,
            actor="system",
            deposit=deposit,
            deposit_key=deposit_key,
        )
        grant = await grant_quietly(uow, ids, request, shards=shards)
        if grant is not None:
            return grant
    return None
