"""A player claims the rakeback accrued on their settled bets since their last claim."""

from __future__ import annotations

import uuid

from application.promotions.paying import pay_promotion, require_promotable
from application.vip.level import progress_of
from application.vip.paying import Paying
from domain.errors import IdempotencyConflict
from domain.money import Currency
from domain.promotions import Programme
from domain.rakeback import (
    NothingToClaim,
    RakebackClaim,
    RakebackPolicy,
    rakeback_budget,
    rakeback_claim_key,
)


class ClaimRakeback(Paying[RakebackPolicy]):
    """Pays, in `currency`, stake x house edge x the level's share summed over the player's
    bets settled since their last claim (domain/rakeback.py has the period and rounding
    rules), through `pay_promotion` (standing, the `rakeback-<currency>` budget, the ledger).

    Idempotent on `claim_id`: a repeat returns the first claim (another player's or another
    currency's id is an `IdempotencyConflict`). Race-proof: a player's claims in a currency
    take a lock and read the watermark under it, so two concurrent claims pay once (the other
    finds `NothingToClaim`), and the database refuses two claims after the same one. A player
    the standing refuses `PROMOTION` claims nothing and is told nothing about rakeback."""

    async def __call__(
        self, player_id: int, currency: Currency, claim_id: uuid.UUID
    ) -> RakebackClaim:
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.vip.lock_claims(player_id, currency)
            first = await uow.vip.claim(claim_id)
            if first is not None:
                if first.player_id != player_id or first.currency != currency:
                    raise IdempotencyConflict(f"claim {claim_id} was another claim")
                return first
            await require_promotable(uow, player_id, now)
            budget_total = self._policy.budget_total(currency)
            ladder = self._policy.ladder
            previous = await uow.vip.last_claim(player_id, currency)
            period = self._policy.period(previous, now)
            if period.is_empty:
                raise NothingToClaim("no rakeback has accrued since your last claim")
            level = (await progress_of(uow, ladder, player_id, now)).level
            turnover = await uow.vip.turnover(player_id, currency, period.since, period.until)
            amount = turnover.rakeback(level.share)
            if amount.is_zero():
                raise NothingToClaim("no rakeback has accrued since your last claim")
            budget = rakeback_budget(currency)
            await uow.budgets.open(budget, budget_total)
            posted = await pay_promotion(
                uow,
                self._ids,
                player_id=player_id,
                amount=amount,
                programme=Programme.RAKEBACK,
                budget=budget,
                key=rakeback_claim_key(claim_id),
                now=now,
                shards=self._house.shards,
                metadata={"claim_id": str(claim_id), "level": level.name},
            )
            claim = RakebackClaim(
                id=claim_id,
                player_id=player_id,
                amount=amount,
                wagered=turnover.wagered,
                since=period.since,
                until=period.until,
                level=level.name,
                share=level.share,
                previous=previous.id if previous else None,
                transaction_id=posted.id,
                claimed_at=now,
            )
            await uow.vip.add_claim(claim)
            await uow.commit()
        return claim
