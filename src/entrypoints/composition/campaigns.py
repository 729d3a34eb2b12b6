"""Campaigns: a player's promo code (the bot and the Mini App), and the staff's campaigns
(the admin API only)."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from application.campaigns import (
    ChangeCampaign,
    CreateCampaign,
    GrantCampaignToPlayers,
    ListCampaigns,
    RedeemPromoCode,
    ShowCampaign,
)
from domain.campaigns import CampaignFourEyes
from entrypoints.settings import Settings


class PromoCodesProvider(Provider):
    """A player redeems a promo code."""

    scope = Scope.REQUEST

    redeem_promo_code = provide(RedeemPromoCode)


class CampaignStaffProvider(Provider):
    """Staff create, step, read and grant campaigns, under the campaigns' four-eyes rule."""

    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def four_eyes(self, settings: Settings) -> CampaignFourEyes:
        return settings.campaign_four_eyes_policy

    create_campaign = provide(CreateCampaign)
    change_campaign = provide(ChangeCampaign)
    list_campaigns = provide(ListCampaigns)
    show_campaign = provide(ShowCampaign)
    grant_campaign = provide(GrantCampaignToPlayers)
