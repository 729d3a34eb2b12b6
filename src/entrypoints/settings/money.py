"""Money leaving the casino or changed by hand: the four-eyes thresholds of staff adjustments
and the withdrawal limits. The defaults are the domain's (domain.adjustments,
domain.withdrawal_policy); these settings only override them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta

from pydantic.dataclasses import dataclass

from domain.adjustments import FOUR_EYES_THRESHOLDS, FOUR_EYES_WINDOW, FourEyesPolicy
from domain.campaigns import CAMPAIGN_FOUR_EYES_THRESHOLDS, CampaignFourEyes
from domain.errors import InvalidRequest
from domain.withdrawal_policy import (
    SECOND_APPROVAL_THRESHOLDS,
    WITHDRAWAL_POLICY,
    SecondApprovalPolicy,
    WithdrawalPolicy,
)
from entrypoints.settings.declaring import CONFIG, PREFIX, setting
from entrypoints.settings.values import Amounts

_LIMITS = WITHDRAWAL_POLICY.limits


def _defaults(amounts: Mapping[str, int | None]) -> dict[str, int]:
    return {code: amount for code, amount in amounts.items() if amount is not None}


@dataclass(frozen=True, config=CONFIG)
class Money:
    """Adjustments and withdrawals"""

    four_eyes_thresholds: Amounts = setting(
        factory=lambda: dict(FOUR_EYES_THRESHOLDS),
        doc="Per currency, in minor units: a staff adjustment larger than this needs a second "
        "finance user's approval, and so does one that, added to what the staff member "
        "adjusted or to what the player was adjusted by (in that currency, pending or "
        "posted) over the four-eyes window, would exceed it. A currency not listed always "
        "needs one.",
    )
    four_eyes_window_hours: int = setting(
        FOUR_EYES_WINDOW // timedelta(hours=1),
        doc="The four-eyes window, in hours: how far back adjustments are added up against "
        "the thresholds, and how long whoever asked for or approved an adjustment of a "
        "player's balance may not approve or mark paid that player's withdrawals.",
        ge=1,
        le=24 * 366,
    )
    campaign_four_eyes_thresholds: Amounts = setting(
        factory=lambda: dict(CAMPAIGN_FOUR_EYES_THRESHOLDS),
        doc="Per currency, in minor units: a campaign whose promotion budget is larger than "
        "this, or would be added to the budgets its creator set up in that currency over the "
        "four-eyes window, waits for another staff member's approval before it grants. A "
        "currency not listed always waits.",
    )
    withdrawal_second_approval: Amounts = setting(
        factory=lambda: dict(SECOND_APPROVAL_THRESHOLDS),
        doc="Per currency, in minor units: a withdrawal larger than this needs two finance "
        "users' approvals (the first is recorded, a different user's completes it). A "
        "currency not listed always needs two.",
    )
    withdrawal_max: Amounts = setting(
        factory=lambda: _defaults({code: limits.maximum for code, limits in _LIMITS.items()}),
        doc="Per currency, in minor units: the largest withdrawal request. Only the currencies "
        "listed here can be withdrawn.",
    )
    withdrawal_min: Amounts = setting(
        factory=lambda: _defaults({code: limits.minimum for code, limits in _LIMITS.items()}),
        doc="Per currency, in minor units: the smallest withdrawal request (1 if not listed).",
    )
    withdrawal_daily_max: Amounts = setting(
        factory=lambda: _defaults({code: limits.daily for code, limits in _LIMITS.items()}),
        doc="Per currency, in minor units: the most one player may ask to withdraw in any 24 "
        "hours (rejected and failed withdrawals do not count). Not listed: no daily limit.",
    )
    withdrawal_kyc_threshold: Amounts = setting(
        factory=lambda: _defaults({code: limits.kyc_threshold for code, limits in _LIMITS.items()}),
        doc="Per currency, in minor units: above this much in 24 hours (the request included) "
        "the player's KYC status must be `verified`. Not listed: always.",
    )
    withdrawal_wagering_multiple: int = setting(
        WITHDRAWAL_POLICY.wagering_multiple,
        doc="How many times everything a player deposited must have been staked before a "
        "withdrawal (0: no wagering requirement).",
        ge=0,
        le=100,
    )
    bonus_sweep_interval_s: int = setting(
        300,
        doc="How often `croupier run` expires bonuses whose time ran out and converts those "
        "whose wagering is met (seconds, 0: never; `croupier bonuses expire` and `croupier "
        "bonuses sweep` do the same by hand or from cron). docs/bonuses.md.",
        ge=0,
        le=86_400,
    )

    @property
    def four_eyes_policy(self) -> FourEyesPolicy:
        return FourEyesPolicy(
            self.four_eyes_thresholds, timedelta(hours=self.four_eyes_window_hours)
        )

    @property
    def campaign_four_eyes_policy(self) -> CampaignFourEyes:
        return CampaignFourEyes(
            FourEyesPolicy(
                self.campaign_four_eyes_thresholds, timedelta(hours=self.four_eyes_window_hours)
            )
        )

    @property
    def second_approval_policy(self) -> SecondApprovalPolicy:
        return SecondApprovalPolicy(self.withdrawal_second_approval)

    @property
    def withdrawal_policy(self) -> WithdrawalPolicy:
        return WithdrawalPolicy.per_currency(
            minimum=self.withdrawal_min,
            maximum=self.withdrawal_max,
            daily=self.withdrawal_daily_max,
            kyc_threshold=self.withdrawal_kyc_threshold,
            wagering_multiple=self.withdrawal_wagering_multiple,
        )

    def money_problems(self) -> Iterator[str]:
        try:
            self.withdrawal_policy  # noqa: B018 - built for the checks it makes
        except InvalidRequest as error:
            yield f"{PREFIX}WITHDRAWAL_MIN/MAX/DAILY_MAX: {error.message}"
