"""The staff's reads of campaigns: the list, and one with its budget and redemptions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.ports import FreeBetCounts, UnitOfWorkFactory
from domain.campaigns import Campaign, CampaignState, Redemption, normalise_code
from domain.promotions import PromotionBudget


@dataclass(frozen=True, slots=True)
class CampaignReport:
    campaign: Campaign
    budget: PromotionBudget  # its total, spent and left
    redemptions: Sequence[Redemption]  # newest first, at most `limit`
    free_bets: FreeBetCounts | None = None  # a free-bet campaign's, in its staff view


class ListCampaigns:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, state: CampaignState | None = None) -> Sequence[CampaignReport]:
        async with self._uow() as uow:
            campaigns = await uow.campaigns.list(state)
            return [CampaignReport(c, await uow.budgets.get(c.code), ()) for c in campaigns]


class ShowCampaign:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, code: str, limit: int = 100) -> CampaignReport:
        async with self._uow() as uow:
            campaign = await uow.campaigns.get(normalise_code(code))
            return CampaignReport(
                campaign,
                await uow.budgets.get(campaign.code),
                await uow.campaigns.redemptions(campaign.code, limit),
                None if campaign.free_bet is None else await uow.free_bets.counts(campaign.code),
            )
