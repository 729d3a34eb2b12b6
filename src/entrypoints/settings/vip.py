"""VIP levels, rakeback and the daily play-money bonus (docs/bonuses.md). The ladder is a
setting, not a table: it changes rarely, belongs to the operator's configuration (reviewed
and deployed like the rest), and no player's level is stored, so a new ladder applies to
everyone at the next read. The defaults are the domain's (`domain.vip.DEFAULT_LADDER`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from pydantic.dataclasses import dataclass

from domain.errors import DomainError
from domain.money import Currency, CurrencyRegistry, Money
from domain.rakeback import SETTLE_GRACE, DailyBonusPolicy, RakebackPolicy
from domain.vip import DEFAULT_LADDER, VipLadder, parse_levels, written_levels
from entrypoints.settings.declaring import CONFIG, PREFIX, setting
from entrypoints.settings.values import Amounts


@dataclass(frozen=True, config=CONFIG)
class Vip:
    """VIP levels, rakeback and the daily bonus"""

    vip_levels: str = setting(
        written_levels(DEFAULT_LADDER.levels),
        doc="The VIP ladder, `NAME:THRESHOLD:PERCENT,…`: a level is reached by wagering its "
        "threshold (minor units of `CROUPIER_VIP_CURRENCY`, settled bets) within the window, "
        "and pays its percent of the house edge on every bet as rakeback. The first level "
        "starts at 0; thresholds rise and shares never fall.",
        min_length=1,
        max_length=1000,
    )
    vip_currency: str = setting(
        DEFAULT_LADDER.currency.code,
        doc="The currency whose wagered volume decides a player's VIP level.",
        pattern=r"^[A-Z][A-Z0-9]{1,9}$",
    )
    vip_window_days: int = setting(
        DEFAULT_LADDER.window.days,
        doc="Days of settled bets a VIP level counts; rakeback not claimed within this many "
        "days of its bet lapses.",
        ge=1,
        le=366,
    )
    rakeback_budgets: Amounts = setting(
        factory=lambda: {"XTR": 1_000_000},
        doc="Per currency, in minor units: the total of the `rakeback-<currency>` budget, "
        "created at the first claim (raised later by staff). Rakeback is paid only in the "
        "currencies listed.",
    )
    rakeback_settle_grace_s: int = setting(
        int(SETTLE_GRACE.total_seconds()),
        doc="Seconds a claim leaves out of its period: bets settled this recently are paid by "
        "the next claim, so a settlement still committing while a claim reads is never skipped.",
        ge=0,
        le=3600,
    )
    daily_bonus_fun: int = setting(
        100_00,
        doc="The daily play-money bonus, in minor units of FUN (once a UTC day per player).",
        ge=1,
        le=10**12,
    )
    daily_bonus_budget_fun: int = setting(
        10**12,
        doc="The total of the `daily-fun` budget in minor units of FUN, created at the first "
        "daily bonus.",
        ge=0,
        le=10**15,
    )

    def vip_ladder(self, currencies: CurrencyRegistry) -> VipLadder:
        return VipLadder(
            currencies.get(self.vip_currency),
            timedelta(days=self.vip_window_days),
            parse_levels(self.vip_levels),
        )

    def rakeback_policy(self, currencies: CurrencyRegistry) -> RakebackPolicy:
        return RakebackPolicy(
            self.vip_ladder(currencies),
            self.rakeback_budgets,
            timedelta(seconds=self.rakeback_settle_grace_s),
        )

    def daily_bonus_policy(self, fun: Currency) -> DailyBonusPolicy:
        return DailyBonusPolicy(
            Money(self.daily_bonus_fun, fun), Money(self.daily_bonus_budget_fun, fun)
        )

    def vip_problems(self) -> Iterator[str]:
        try:
            VipLadder(
                DEFAULT_LADDER.currency,
                timedelta(days=self.vip_window_days),
                parse_levels(self.vip_levels),
            )
        except DomainError as error:
            yield f"{PREFIX}VIP_LEVELS: {error.message}"
