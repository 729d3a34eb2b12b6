"""A player types a promo code (the bot's /promo, the Mini App)."""

from __future__ import annotations

from application.campaigns.granting import CampaignGrant, GrantRequest, grant_from_campaign
from application.ledger_use_case import LedgerUseCase
from domain.campaigns import CampaignKind, UnknownPromoCode, normalise_code
from domain.errors import NotFound

MAX_CODE_LENGTH = 64  # longer than any code: what a player pasted is refused unread


class RedeemPromoCode(LedgerUseCase):
    """Grant a promo code's bonus to the player who typed it: once per code and player,
    however many times and doors they try at once (a repeat answers with the first grant,
    `replayed`), and never past the code's uses or budget, however many players race for the
    last of them. Refusals (nothing written): `UnknownPromoCode`; `CampaignRefused` with its
    rule (not_started, expired, paused, not_for_you, run_out); the player's standing (a
    blocked, unconfirmed, timed-out or self-excluded player redeems nothing); the bonuses'
    own (one active bonus per currency)."""

    async def __call__(self, player_id: int, code: str) -> CampaignGrant:
        typed = normalise_code(code[:MAX_CODE_LENGTH])
        now = self._clock.now()
        async with self._uow() as uow:
            try:
                campaign = await uow.campaigns.get(typed)
            except NotFound:
                raise UnknownPromoCode(f"no promo code {typed!r}") from None
            if campaign.kind not in (CampaignKind.PROMO_CODE, CampaignKind.FREE_BET):
                # A deposit match's or no-deposit campaign's code is not one to type; a
                # free-bet campaign's is (docs/bonuses.md, "Free bets").
                raise UnknownPromoCode(f"no promo code {typed!r}")
            request = GrantRequest(
                campaign,
                player_id,
                key=f"promo:{campaign.code}:{player_id}",
                now=now,
                actor=f"player:{player_id}",
            )
            grant = await grant_from_campaign(uow, self._ids, request, shards=self._house.shards)
            await uow.commit()
        return grant
