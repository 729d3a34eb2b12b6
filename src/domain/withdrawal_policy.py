"""The rules a withdrawal request must meet, and which approvals it needs: the policy the
operator tunes (CROUPIER_WITHDRAWAL_* override the defaults here).

Rules checked when a request is made (`WithdrawalPolicy.check`), each named in
`WithdrawalRefused.rule`: the currency must be withdrawable ("currency"), the amount within
the minimum and maximum per request ("min_amount", "max_amount") and the rolling 24-hour total
("daily_limit"); a verified identity above a threshold ("kyc_required"); and deposits wagered
a configurable number of times ("wagering_requirement"), so the casino cannot be used to
launder money by depositing and withdrawing it untouched. Open risk holds do not refuse a
request: it is taken, and waits for staff review with the reasons attached.

Money is never stuck. A player who may no longer play (timed out, self-excluded, blocked:
`PlayerStanding.may_play`) cannot wager, so for them the wagering requirement is waived, and
so is the minimum when they take out everything that is left; the other rules (maximum, daily
limit, identity above a threshold) still hold, and only delay a payout, never forbid it.

A withdrawal above its currency's second-approval threshold (`SecondApprovalPolicy`) needs
two finance users (`Withdrawal.approve_first`, then `approve` by another)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Final

from domain.errors import InvalidRequest
from domain.money import Money
from domain.players import KycStatus
from domain.withdrawals import WithdrawalRefused

# The daily limit and the KYC threshold count what the player asked for in the last 24 hours
# (rolling, like the responsible-gambling limits), not since midnight: no reset to wait for.
DAILY_WINDOW: Final = timedelta(hours=24)


def outstanding_wagering(deposited: int, wagered: int, multiple: int) -> int:
    """How much more must be staked before deposited money can leave: `multiple` times what
    was ever deposited, less what was ever staked (never below zero)."""
    return max(0, multiple * deposited - wagered)


@dataclass(frozen=True, slots=True)
class CurrencyWithdrawalLimits:
    """The limits of one currency, in its minor units. `daily` None: no limit beyond the one
    per request. Above `kyc_threshold` (over 24 hours, this request included, so splitting a
    withdrawal does not avoid it) the player's identity must be verified; 0 means always."""

    minimum: int
    maximum: int
    daily: int | None = None
    kyc_threshold: int = 0

    def __post_init__(self) -> None:
        if self.minimum < 1:
            raise InvalidRequest("the minimum withdrawal is at least 1 minor unit")
        if self.maximum < self.minimum:
            raise InvalidRequest("the maximum withdrawal is below the minimum")
        if self.daily is not None and self.daily < self.minimum:
            raise InvalidRequest("the daily withdrawal limit is below the minimum")
        if self.kyc_threshold < 0:
            raise InvalidRequest("the KYC threshold cannot be negative")

    def smallest(self, balance: int, cashing_out: bool) -> int:
        """The smallest amount a request may ask for: the minimum, or, for a player who may no
        longer play (`cashing_out`), their whole balance when that is below it."""
        return balance if cashing_out and 0 < balance < self.minimum else self.minimum


@dataclass(frozen=True, slots=True)
class WithdrawalPolicy:
    """Which currencies can be withdrawn, within what limits, and how many times deposits must
    be wagered first (0 switches the wagering requirement off). A currency without limits
    cannot be withdrawn at all: play money, or one the operator does not pay out."""

    limits: Mapping[str, CurrencyWithdrawalLimits]
    wagering_multiple: int = 1

    def __post_init__(self) -> None:
        if self.wagering_multiple < 0:
            raise InvalidRequest("the wagering multiple cannot be negative")

    def check(
        self,
        amount: Money,
        *,
        requested_today: int,
        kyc: KycStatus,
        deposited: int,
        wagered: int,
        cashing_out: Money | None = None,
    ) -> None:
        """Raise `WithdrawalRefused` naming the first rule the request breaks. The inputs are
        the player's totals in the amount's currency: withdrawals asked for (and not rejected,
        failed or cancelled) in the last `DAILY_WINDOW`, and everything ever deposited and staked.
        `cashing_out`: the player may no longer play and this is their wallet's balance; the
        rules they could only meet by playing are waived (see the module's docstring)."""
        currency = amount.currency
        limits = self.limits.get(currency.code)
        if limits is None:
            raise WithdrawalRefused("currency", f"{currency.code} cannot be withdrawn")
        minimum = Money(limits.minimum, currency)
        maximum = Money(limits.maximum, currency)
        balance = cashing_out.amount if cashing_out is not None else 0
        if amount.amount < limits.smallest(balance, cashing_out is not None):
            raise WithdrawalRefused(
                "min_amount", f"the smallest withdrawal is {minimum}", limit=minimum
            )
        if amount > maximum:
            raise WithdrawalRefused(
                "max_amount", f"the largest withdrawal is {maximum}", limit=maximum
            )
        total = requested_today + amount.amount
        if limits.daily is not None and total > limits.daily:
            daily = Money(limits.daily, currency)
            remaining = Money(max(0, limits.daily - requested_today), currency)
            raise WithdrawalRefused(
                "daily_limit",
                f"withdrawals are limited to {daily} in 24 hours; {remaining} is left",
                limit=daily,
                remaining=remaining,
            )
        if kyc is not KycStatus.VERIFIED and total > limits.kyc_threshold:
            threshold = Money(limits.kyc_threshold, currency)
            message = (
                "withdrawals need a verified identity"
                if limits.kyc_threshold == 0
                else f"withdrawals above {threshold} in 24 hours need a verified identity"
            )
            raise WithdrawalRefused(
                "kyc_required", f"{message}; the player's is {kyc}", limit=threshold
            )
        outstanding = outstanding_wagering(deposited, wagered, self.wagering_multiple)
        if outstanding > 0 and cashing_out is None:
            left = Money(outstanding, currency)
            times = "" if self.wagering_multiple == 1 else f" {self.wagering_multiple} times"
            raise WithdrawalRefused(
                "wagering_requirement",
                f"deposits must be wagered{times} before they can be withdrawn; "
                f"{left} more to wager",
                remaining=left,
            )

    @classmethod
    def per_currency(
        cls,
        *,
        minimum: Mapping[str, int],
        maximum: Mapping[str, int],
        daily: Mapping[str, int],
        kyc_threshold: Mapping[str, int],
        wagering_multiple: int = 1,
    ) -> WithdrawalPolicy:
        """The policy for the currencies in `maximum` (the operator's lists of amounts); one
        missing from the other lists has a minimum of 1, no daily limit beyond the maximum, and
        needs KYC for any amount."""
        return cls(
            {
                code: CurrencyWithdrawalLimits(
                    minimum.get(code, 1), most, daily.get(code), kyc_threshold.get(code, 0)
                )
                for code, most in maximum.items()
            },
            wagering_multiple,
        )


# The casino's limits unless the operator sets others (CROUPIER_WITHDRAWAL_*), in minor units:
# Stars, TON and USDT can be withdrawn (FUN is play money), a verified identity above 50,000
# Stars, 200 TON or 1,000 USDT in 24 hours.
WITHDRAWAL_POLICY: Final = WithdrawalPolicy(
    {  # minimum, maximum, daily limit, KYC threshold
        "XTR": CurrencyWithdrawalLimits(100, 100_000, 200_000, 50_000),
        "TON": CurrencyWithdrawalLimits(10**9, 1_000 * 10**9, 2_000 * 10**9, 200 * 10**9),
        "USDT": CurrencyWithdrawalLimits(10**7, 10_000 * 10**6, 20_000 * 10**6, 1_000 * 10**6),
    }
)


# -- a second approval -------------------------------------------------------------------------


# Withdrawals larger than these (minor units) need two finance users' approvals unless the
# operator sets others (CROUPIER_WITHDRAWAL_SECOND_APPROVAL): 10,000 Stars, 100 TON, 1,000
# USDT, a tenth of the largest request each (FUN is play money and cannot be withdrawn).
SECOND_APPROVAL_THRESHOLDS: Mapping[str, int] = MappingProxyType(
    {"XTR": 10_000, "TON": 100 * 10**9, "USDT": 1_000 * 10**6}
)


@dataclass(frozen=True, slots=True)
class SecondApprovalPolicy:
    """A withdrawal larger than its currency's threshold (minor units) needs a second finance
    user's approval. A currency without a threshold always needs one."""

    thresholds: Mapping[str, int]

    def needs_second(self, amount: Money) -> bool:
        threshold = self.thresholds.get(amount.currency.code)
        return threshold is None or amount.amount > threshold
