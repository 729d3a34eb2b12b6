"""Campaigns (docs/bonuses.md, "Campaigns and promo codes"): deposit matches, no-deposit
grants and promo codes, each bounded by its own promotion budget, every grant through
`granting` (and the bonuses' `grant_bonus`).

One use case a module: `create`, `change` (approve, pause, resume, end), `queries` (list,
show), `redeem` (a player's promo code), `no_deposit` (staff's grants to a list, and the
welcome grant), `deposit_match` (the credit use cases' hook)."""

from application.campaigns.change import CampaignStep, ChangeCampaign
from application.campaigns.create import CreateCampaign, CreatedCampaign
from application.campaigns.deposit_match import match_deposit
from application.campaigns.granting import CampaignGrant
from application.campaigns.no_deposit import (
    GrantCampaignToPlayers,
    ListGrant,
    WelcomeOnAcceptance,
    welcome_grants,
)
from application.campaigns.queries import CampaignReport, ListCampaigns, ShowCampaign
from application.campaigns.redeem import RedeemPromoCode

__all__ = [
    "CampaignGrant",
    "CampaignReport",
    "CampaignStep",
    "ChangeCampaign",
    "CreateCampaign",
    "CreatedCampaign",
    "GrantCampaignToPlayers",
    "ListCampaigns",
    "ListGrant",
    "RedeemPromoCode",
    "ShowCampaign",
    "WelcomeOnAcceptance",
    "match_deposit",
    "welcome_grants",
]
