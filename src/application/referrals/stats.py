"""What a referrer sees of their referrals: their link's code, how many players they
brought, what this period has earned so far and what was paid in all, and the rule (basis,
share, period, cap). Nothing of it for a player the standing refuses a promotion (the doors
hide the screen): `require_promotable`'s own refusal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from application.ports import Clock, UnitOfWorkFactory
from application.promotions.paying import require_promotable
from domain.errors import NotFound
from domain.money import CurrencyRegistry, Money
from domain.referrals import ReferralPolicy, Window, commission, group_by_referrer


@dataclass(frozen=True, slots=True)
class ReferralStats:
    code: str
    referred: int
    period: Window  # the period running now
    # So far this period, per currency: the policy's arithmetic over the activity until now,
    # abusive referred players left out. An estimate: the job settles the period once it
    # ends (a referred player who self-excludes meanwhile no longer counts).
    this_period: tuple[Money, ...]
    paid_total: tuple[Money, ...]  # every period settled so far, per currency
    policy: ReferralPolicy
    caps: tuple[Money, ...]  # the currencies that earn a commission, and their caps


class GetReferralStats:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        policy: ReferralPolicy,
        currencies: CurrencyRegistry,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy
        self._currencies = currencies

    async def __call__(self, player_id: int) -> ReferralStats:
        now = self._clock.now()
        window = self._policy.period.window(now)
        async with self._uow() as uow:
            await require_promotable(uow, player_id, now)
            preferences = await uow.preferences.get(player_id)
            if preferences is None:
                raise NotFound(f"player {player_id} has no referral code yet")
            referred = await uow.referrals.referred_count(player_id)
            activity = await uow.referrals.activity(window.start, window.end, referrer_id=player_id)
            paid = await uow.referrals.paid(player_id)
        this_period = {
            currency: commission(self._policy, player_id, currency, group).amount
            for (_, currency), group in group_by_referrer(activity).items()
        }
        return ReferralStats(
            code=preferences.referral_code,
            referred=referred,
            period=window,
            this_period=self._money(this_period),
            paid_total=self._money(paid),
            policy=self._policy,
            caps=self._money(self._policy.caps),
        )

    def _money(self, amounts: Mapping[str, int]) -> tuple[Money, ...]:
        return tuple(
            Money(amount, self._currencies.get(code))
            for code, amount in sorted(amounts.items())
            if amount and code in self._currencies
        )
