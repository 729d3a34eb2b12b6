"""The referral job: settle every referrer's commission of each complete period, once.

`croupier run` runs it periodically and `croupier referrals pay` by hand or from cron. Each
(referrer, period, currency) is settled in a unit of work of its own: claimed (referrers take
turns; a settled one is skipped), the referred players' activity weighed (abuse and
protected players left out, an abuse flag raised on the referrer), the referrer's standing
checked, the commission paid through `pay_promotion` (the referral budget of the currency)
and the settlement recorded with the payment. A rerun, or a second instance running at the
same time, pays nothing twice: the claim, the settlement's primary key and the payment's
ledger key each stand in the way."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from application.ports import Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory
from application.promotions.paying import pay_promotion, require_promotable
from application.risk.review import RiskReview
from domain.errors import DomainError, NotFound
from domain.money import CurrencyRegistry, Money
from domain.promotions import BudgetExhausted, Programme
from domain.referrals import (
    CommissionOutcome,
    CommissionSettlement,
    Exclusion,
    ReferralPolicy,
    ReferredActivity,
    Window,
    abuse_evidence,
    budget_code,
    commission,
    commission_key,
    group_by_referrer,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReferralRun:
    settled: tuple[CommissionSettlement, ...]
    # (referrer, currency, period start, why) of commissions left for a later run: the
    # budget is missing or spent (the operator opens or raises it, the next run pays).
    postponed: tuple[tuple[int, str, datetime, str], ...] = ()

    @property
    def paid(self) -> tuple[CommissionSettlement, ...]:
        return tuple(s for s in self.settled if s.outcome is CommissionOutcome.PAID)


class PayReferralCommissions:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        policy: ReferralPolicy,
        currencies: CurrencyRegistry,
        risk: RiskReview,
        shards: int,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._policy = policy
        self._currencies = currencies
        self._risk = risk
        self._shards = shards

    async def __call__(self) -> ReferralRun:
        now = self._clock.now()
        settled: list[CommissionSettlement] = []
        postponed: list[tuple[int, str, datetime, str]] = []
        for window in self._policy.period.complete(now, self._policy.lookback):
            async with self._uow() as uow:
                activity = await uow.referrals.activity(
                    window.start, window.end, unsettled_only=True
                )
            for (referrer, currency), group in group_by_referrer(activity).items():
                try:
                    settlement = await self._settle(referrer, currency, group, window, now)
                except (BudgetExhausted, NotFound) as error:
                    log.warning(
                        "referral commission of player %s in %s for %s postponed: %s",
                        referrer,
                        currency,
                        f"{window.start:%Y-%m-%d}",
                        error,
                    )
                    postponed.append((referrer, currency, window.start, str(error)))
                    continue
                if settlement is not None:
                    settled.append(settlement)
        return ReferralRun(tuple(settled), tuple(postponed))

    async def _settle(
        self,
        referrer: int,
        currency: str,
        group: list[ReferredActivity],
        window: Window,
        now: datetime,
    ) -> CommissionSettlement | None:
        async with self._uow() as uow:
            if not await uow.referrals.claim(referrer, window.start, currency):
                return None  # another run settled it meanwhile
            excluded = await self._exclusions(uow, referrer, group, window, now)
            quote = commission(self._policy, referrer, currency, group, excluded)
            outcome = CommissionOutcome.PAID if quote.amount > 0 else CommissionOutcome.NOTHING
            transaction_id = None
            if outcome is CommissionOutcome.PAID and not await _promotable(uow, referrer, now):
                outcome = CommissionOutcome.WITHHELD
            if outcome is CommissionOutcome.PAID:
                posted = await pay_promotion(
                    uow,
                    self._ids,
                    player_id=referrer,
                    amount=Money(quote.amount, self._currencies.get(currency)),
                    programme=Programme.REFERRAL,
                    budget=budget_code(currency),
                    key=commission_key(referrer, window.start, currency),
                    now=now,
                    shards=self._shards,
                    metadata={
                        "period_start": window.start.isoformat(),
                        "base": quote.base,
                        "basis": quote.basis.value,
                    },
                )
                transaction_id = posted.id  # its TransactionPosted is pay_promotion's
            settlement = CommissionSettlement(quote, window, outcome, now, transaction_id)
            await uow.referrals.record(settlement)
            await uow.commit()
        return settlement

    async def _exclusions(
        self,
        uow: UnitOfWork,
        referrer: int,
        group: list[ReferredActivity],
        window: Window,
        now: datetime,
    ) -> dict[int, Exclusion]:
        excluded: dict[int, Exclusion] = {}
        for activity in group:
            if activity.shared_identities:
                excluded[activity.referred_id] = Exclusion.ABUSE
                await self._risk.on_referral_abuse(
                    uow, referrer, abuse_evidence(activity, window), now
                )
            elif not await _promotable(uow, activity.referred_id, now):
                excluded[activity.referred_id] = Exclusion.PROTECTED
        return excluded


async def _promotable(uow: UnitOfWork, player_id: int, now: datetime) -> bool:
    """Whether the standing lets the player receive a promotion now (the one check every
    promotion makes)."""
    try:
        await require_promotable(uow, player_id, now)
    except DomainError:
        return False
    return True
