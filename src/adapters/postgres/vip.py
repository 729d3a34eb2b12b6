"""The VIP book in PostgreSQL: a player's settled turnover from `bets` (one index-only range
scan of `ix_bets_player_settled`, revision 0039) and their rakeback claims."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.errors import sqlstate
from domain.errors import IdempotencyConflict
from domain.money import Currency, CurrencyRegistry, Money
from domain.rakeback import RakebackClaim, Turnover

# Settled bets, and settled duels (docs/duels.md: a duel's stake is a bet): a duel's stake is
# wagered, and its edge is the player's half of the house cut (the pot's cut rounded up, as
# `domain.duels.house_cut` rounds it), from when it was settled; a refunded duel wagered
# nothing.
TURNOVER = text(
    """
    SELECT coalesce(sum(w.stake), 0) AS wagered, coalesce(sum(w.edge), 0) AS edge,
           count(*) AS bets
    FROM (
        SELECT stake, stake * house_edge AS edge FROM bets
        WHERE player_id = :player AND currency = :currency AND state IN ('won', 'lost')
          AND settled_at > :since AND settled_at <= :until
        UNION ALL
        SELECT d.stake, CAST((2 * d.stake * d.cut_bps + 9999) / 10000 AS numeric) / 2
        FROM duels d
        WHERE (d.challenger_id = :player OR d.challenged_id = :player)
          AND d.currency = :currency AND d.state = 'settled'
          AND d.finished_at > :since AND d.finished_at <= :until
    ) AS w
    """
)
# A transaction-scoped advisory lock per player and currency: claims queue on it, nothing else.
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
_COLUMNS = (
    "id, player_id, currency, previous_claim, since, until, level, share, wagered, amount,"
    " transaction_id, claimed_at"
)
_LAST = text(
    f"SELECT {_COLUMNS} FROM rakeback_claims"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE player_id = :player AND currency = :currency ORDER BY until DESC LIMIT 1"
)
_BY_ID = text(f"SELECT {_COLUMNS} FROM rakeback_claims WHERE id = :id")  # noqa: S608 - a constant column list  # nosec B608
_ADD = text(
    f"INSERT INTO rakeback_claims ({_COLUMNS}) VALUES (:id, :player_id, :currency,"  # noqa: S608 - a constant column list  # nosec B608
    " :previous_claim, :since, :until, :level, :share, :wagered, :amount, :transaction_id,"
    " :claimed_at)"
)


def _fraction(value: Decimal | int) -> Fraction:
    return Fraction(value)  # numeric is exact: stake x a six-decimal edge, or a share


def _share(value: Fraction) -> str:
    # A numeric column without scale keeps every digit; shares are percentages with few.
    return str(Decimal(value.numerator) / Decimal(value.denominator))


class SqlVipBook:
    def __init__(self, conn: AsyncConnection, currencies: CurrencyRegistry) -> None:
        self._conn = conn
        self._currencies = currencies

    async def turnover(
        self, player_id: int, currency: Currency, since: datetime, until: datetime
    ) -> Turnover:
        params = {"player": player_id, "currency": currency.code, "since": since, "until": until}
        row = (await self._conn.execute(TURNOVER, params)).one()
        return Turnover(Money(int(row.wagered), currency), _fraction(row.edge), int(row.bets))

    async def lock_claims(self, player_id: int, currency: Currency) -> None:
        await self._conn.execute(_LOCK, {"key": f"rakeback:{player_id}:{currency.code}"})

    async def last_claim(self, player_id: int, currency: Currency) -> RakebackClaim | None:
        params = {"player": player_id, "currency": currency.code}
        row = (await self._conn.execute(_LAST, params)).first()
        return None if row is None else self._claim(row)

    async def claim(self, claim_id: uuid.UUID) -> RakebackClaim | None:
        row = (await self._conn.execute(_BY_ID, {"id": claim_id})).first()
        return None if row is None else self._claim(row)

    async def add_claim(self, claim: RakebackClaim) -> None:
        params = {
            "id": claim.id,
            "player_id": claim.player_id,
            "currency": claim.currency.code,
            "previous_claim": claim.previous,
            "since": claim.since,
            "until": claim.until,
            "level": claim.level,
            "share": _share(claim.share),
            "wagered": claim.wagered.amount,
            "amount": claim.amount.amount,
            "transaction_id": claim.transaction_id,
            "claimed_at": claim.claimed_at,
        }
        try:
            await self._conn.execute(_ADD, params)
        except IntegrityError as error:
            if sqlstate(error) != "23505":
                raise
            raise IdempotencyConflict(
                f"claim {claim.id}: the period after this player's last claim is claimed"
            ) from error

    def _claim(self, row: Any) -> RakebackClaim:
        currency = self._currencies.get(row.currency)
        return RakebackClaim(
            id=row.id,
            player_id=row.player_id,
            amount=Money(row.amount, currency),
            wagered=Money(row.wagered, currency),
            since=row.since,
            until=row.until,
            level=row.level,
            share=_fraction(row.share),
            previous=row.previous_claim,
            transaction_id=row.transaction_id,
            claimed_at=row.claimed_at,
        )
