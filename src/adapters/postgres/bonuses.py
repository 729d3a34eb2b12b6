"""Bonuses in PostgreSQL: one row per grant, ended once (a trigger refuses any other move), and
wagering progress read from the player's bets (docs/bonuses.md)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.errors import sqlstate, to_domain_error
from domain.bonuses import Bonus, BonusActive, BonusState, ForfeitReason
from domain.duels import DUEL_GAME_CODES
from domain.errors import IdempotencyConflict, IllegalTransition, NotFound
from domain.money import Currency, CurrencyRegistry, Money

_COLUMNS = (
    "id, player_id, key, currency, amount, wagering_required, max_stake, campaign, budget,"
    " state, granted_at, expires_at, grant_transaction_id, ended_at, end_transaction_id,"
    " forfeit_reason"
)
_GET = text(f"SELECT {_COLUMNS} FROM bonuses WHERE id = :id")  # noqa: S608 - a constant column list  # nosec B608
_GET_FOR_UPDATE = text(f"SELECT {_COLUMNS} FROM bonuses WHERE id = :id FOR UPDATE")  # noqa: S608 - a constant column list  # nosec B608
_BY_KEY = text(f"SELECT {_COLUMNS} FROM bonuses WHERE key = :key")  # noqa: S608 - a constant column list  # nosec B608
_ACTIVE = (
    f"SELECT {_COLUMNS} FROM bonuses"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE player_id = :player AND currency = :currency AND state = 'active'"
)
_ACTIVE_OF = text(_ACTIVE)
_ACTIVE_OF_FOR_UPDATE = text(_ACTIVE + " FOR UPDATE")
_OF_PLAYER = text(
    f"SELECT {_COLUMNS} FROM bonuses WHERE player_id = :player"  # noqa: S608 - a constant column list  # nosec B608
    " ORDER BY granted_at DESC, id DESC LIMIT :limit"
)
# NO KEY UPDATE, as withdrawals take it: it queues this player's grants without blocking the
# inserts that reference the player (bets, ledger rows), which take KEY SHARE.
_LOCK_PLAYER = text("SELECT id FROM players WHERE id = :id FOR NO KEY UPDATE")
_INSERT = text(
    """
    INSERT INTO bonuses (id, player_id, key, currency, amount, wagering_required, max_stake,
                         campaign, budget, state, granted_at, expires_at, grant_transaction_id)
    VALUES (:id, :player, :key, :currency, :amount, :required, :max_stake, :campaign, :budget,
            'active', :granted_at, :expires_at, :grant_tx)
    """
)
_SAVE = text(
    """
    UPDATE bonuses SET state = :state, ended_at = :ended_at, end_transaction_id = :end_tx,
                       forfeit_reason = :reason
    WHERE id = :id AND state = :previous
    """
)
_DUE = text(
    "SELECT id FROM bonuses WHERE state = 'active' AND expires_at <= :now"
    " ORDER BY expires_at, id LIMIT :limit"
)
_ACTIVE_IDS = text(
    "SELECT id FROM bonuses WHERE state = 'active'"
    " AND (CAST(:after AS uuid) IS NULL OR id > CAST(:after AS uuid)) ORDER BY id LIMIT :limit"
)
# ix_bets_player (player_id, placed_at DESC) finds the player's bets since the grant; the
# games table is a dozen rows. Stake x per cent, each stake counted up to the largest stake.
# A settled duel's stake counts as a bet on its die's Telegram dice game (docs/duels.md: a
# duel's stake is a bet; `DUEL_GAME_CODES`: 🎲 tg_dice, ...), at that game's contribution,
# from the duel's creation; a declined, expired or refunded duel staked nothing.
_WAGERING = text(
    """
    SELECT
        (SELECT coalesce(sum(LEAST(b.stake, coalesce(CAST(:max_stake AS bigint), b.stake))
                             * g.bonus_contribution_pct), 0)
         FROM bets b JOIN games g ON g.code = b.game
         WHERE b.player_id = :player AND b.currency = :currency
           AND b.placed_at >= :since AND b.placed_at <= :until
           AND b.state IN ('won', 'lost'))
      + (SELECT coalesce(sum(LEAST(d.stake, coalesce(CAST(:max_stake AS bigint), d.stake))
                             * g.bonus_contribution_pct), 0)
         FROM duels d
         JOIN unnest(CAST(:dice AS text[]), CAST(:codes AS text[])) AS m (die, code)
           ON m.die = d.game
         JOIN games g ON g.code = m.code
         WHERE (d.challenger_id = :player OR d.challenged_id = :player)
           AND d.currency = :currency AND d.state = 'settled'
           AND d.created_at >= :since AND d.created_at <= :until) AS weighted
    """
)
_DICE, _DICE_CODES = list(DUEL_GAME_CODES), list(DUEL_GAME_CODES.values())


class SqlBonuses:
    def __init__(self, conn: AsyncConnection, currencies: CurrencyRegistry) -> None:
        self._conn = conn
        self._currencies = currencies

    def _bonus(self, row: Any) -> Bonus:
        currency = self._currencies.get(row.currency)
        return Bonus(
            id=row.id,
            player_id=row.player_id,
            key=row.key,
            amount=Money(row.amount, currency),
            wagering_required=Money(row.wagering_required, currency),
            max_stake=None if row.max_stake is None else Money(row.max_stake, currency),
            campaign=row.campaign,
            budget=row.budget,
            granted_at=row.granted_at,
            expires_at=row.expires_at,
            grant_transaction_id=row.grant_transaction_id,
            state=BonusState(row.state),
            ended_at=row.ended_at,
            end_transaction_id=row.end_transaction_id,
            forfeit_reason=None
            if row.forfeit_reason is None
            else ForfeitReason(row.forfeit_reason),
        )

    async def lock_player(self, player_id: int) -> None:
        if (await self._conn.execute(_LOCK_PLAYER, {"id": player_id})).first() is None:
            raise NotFound(f"no player with id {player_id}")

    async def by_key(self, key: str) -> Bonus | None:
        row = (await self._conn.execute(_BY_KEY, {"key": key})).first()
        return None if row is None else self._bonus(row)

    async def add(self, bonus: Bonus) -> None:
        params = {
            "id": bonus.id,
            "player": bonus.player_id,
            "key": bonus.key,
            "currency": bonus.currency.code,
            "amount": bonus.amount.amount,
            "required": bonus.wagering_required.amount,
            "max_stake": None if bonus.max_stake is None else bonus.max_stake.amount,
            "campaign": bonus.campaign,
            "budget": bonus.budget,
            "granted_at": bonus.granted_at,
            "expires_at": bonus.expires_at,
            "grant_tx": bonus.grant_transaction_id,
        }
        try:
            await self._conn.execute(_INSERT, params)
        except DBAPIError as error:
            raise _translate(error, bonus) from None

    async def get(self, bonus_id: uuid.UUID, *, for_update: bool = False) -> Bonus:
        query = _GET_FOR_UPDATE if for_update else _GET
        row = (await self._conn.execute(query, {"id": bonus_id})).first()
        if row is None:
            raise NotFound(f"no bonus {bonus_id}")
        return self._bonus(row)

    async def active_of(
        self, player_id: int, currency: Currency, *, for_update: bool = False
    ) -> Bonus | None:
        query = _ACTIVE_OF_FOR_UPDATE if for_update else _ACTIVE_OF
        params = {"player": player_id, "currency": currency.code}
        row = (await self._conn.execute(query, params)).first()
        return None if row is None else self._bonus(row)

    async def of_player(self, player_id: int, *, limit: int) -> Sequence[Bonus]:
        rows = await self._conn.execute(_OF_PLAYER, {"player": player_id, "limit": limit})
        return [self._bonus(r) for r in rows]

    async def save(self, bonus: Bonus, previous: BonusState) -> None:
        params = {
            "id": bonus.id,
            "state": bonus.state.value,
            "ended_at": bonus.ended_at,
            "end_tx": bonus.end_transaction_id,
            "reason": None if bonus.forfeit_reason is None else bonus.forfeit_reason.value,
            "previous": previous.value,
        }
        result = await self._conn.execute(_SAVE, params)
        if getattr(result, "rowcount", 0) != 1:
            raise IllegalTransition(f"bonus {bonus.id} is no longer {previous}")

    async def due_to_expire(self, now: datetime, *, limit: int) -> Sequence[uuid.UUID]:
        return [r.id for r in await self._conn.execute(_DUE, {"now": now, "limit": limit})]

    async def active_ids(self, *, after: uuid.UUID | None, limit: int) -> Sequence[uuid.UUID]:
        rows = await self._conn.execute(_ACTIVE_IDS, {"after": after, "limit": limit})
        return [r.id for r in rows]

    async def weighted_wagering(self, bonus: Bonus, until: datetime) -> int:
        params = {
            "player": bonus.player_id,
            "currency": bonus.currency.code,
            "max_stake": None if bonus.max_stake is None else bonus.max_stake.amount,
            "since": bonus.granted_at,
            "until": until,
            "dice": _DICE,
            "codes": _DICE_CODES,
        }
        return int((await self._conn.execute(_WAGERING, params)).scalar_one())


def _translate(error: DBAPIError, bonus: Bonus) -> Exception:
    if isinstance(error, IntegrityError) and sqlstate(error) == "23505":
        if "uq_bonuses_active" in str(error.orig):
            return BonusActive(
                f"player {bonus.player_id} already has an active {bonus.currency.code} bonus"
            )
        return IdempotencyConflict(f"bonus key {bonus.key!r} was granted meanwhile")
    return to_domain_error(error) or error
