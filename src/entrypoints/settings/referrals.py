"""Referral commission (docs/bonuses.md, "Referrals"). The defaults are the domain's
(`domain.referrals.ReferralPolicy`) apart from the caps: no currency earns a commission until
the operator gives it a cap here."""

from __future__ import annotations

from typing import Annotated

from pydantic.dataclasses import dataclass

from domain.referrals import (
    BASIS_POINTS,
    DEFAULT_LOOKBACK,
    CommissionBasis,
    ReferralPeriod,
    ReferralPolicy,
)
from entrypoints.settings.declaring import CONFIG, setting
from entrypoints.settings.values import LOWERED, PositiveAmounts

_POLICY = ReferralPolicy()


@dataclass(frozen=True, config=CONFIG)
class Referrals:
    """Referrals"""

    referral_basis: Annotated[CommissionBasis, LOWERED] = setting(
        _POLICY.basis,
        doc="What a referrer's share is of: `ngr` (stakes minus payouts of the referred "
        "players' settled bets, netted, never below zero) or `deposits` (their deposits).",
    )
    referral_share_bps: int = setting(
        _POLICY.share_bps,
        doc="The referrer's share of that basis, in basis points (2000 is 20%).",
        ge=0,
        le=BASIS_POINTS,
    )
    referral_period: Annotated[ReferralPeriod, LOWERED] = setting(
        _POLICY.period,
        doc="The period a commission is accrued over and paid after: `day` (UTC) or `week` "
        "(ISO, from Monday 00:00 UTC).",
    )
    referral_caps: PositiveAmounts = setting(
        factory=dict,
        shown="(none)",
        doc="Per currency, in minor units: the most one referrer is paid per period, e.g. "
        "`XTR=10000`. A currency not listed earns no commission (play money included).",
    )
    referral_lookback: int = setting(
        DEFAULT_LOOKBACK,
        doc="How many complete periods back the job settles commissions not yet settled (a "
        "job that did not run for a while catches up this far).",
        ge=1,
        le=366,
    )
    referral_interval_s: int = setting(
        3600,
        doc="How often `croupier run` settles the referral commissions of complete periods "
        "(seconds, 0: never; `croupier referrals pay` does it by hand or from cron).",
        ge=0,
        le=7 * 86_400,
    )

    def referral_policy(self) -> ReferralPolicy:
        return ReferralPolicy(
            basis=self.referral_basis,
            share_bps=self.referral_share_bps,
            period=self.referral_period,
            caps=self.referral_caps,
            lookback=self.referral_lookback,
        )
