"""Referrals (docs/bonuses.md, "Referrals"): the commission job and the referrer's
statistics. Attribution is at a player's first contact (`application.onboarding`)."""

from application.referrals.budget import SetReferralBudget
from application.referrals.paying import PayReferralCommissions, ReferralRun
from application.referrals.stats import GetReferralStats, ReferralStats

__all__ = [
    "GetReferralStats",
    "PayReferralCommissions",
    "ReferralRun",
    "ReferralStats",
    "SetReferralBudget",
]
