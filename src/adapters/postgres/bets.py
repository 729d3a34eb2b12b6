"""Bets in PostgreSQL: one row per bet, inserted once and updated once (when it ends)."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.errors import sqlstate, to_domain_error
from domain.bets import Bet, BetState, DiceThrow, FairnessProof
from domain.errors import IdempotencyConflict, NotFound
from domain.games.catalog import game_by_code
from domain.money import CurrencyRegistry, Money

COLUMNS = """id, player_id, game, currency, stake, params, house_edge, max_payout, state,
    placed_at, placed_transaction_id, seed_pair_id, nonce, server_seed_hash, client_seed,
    dice_chat_id, dice_message_id, outcome, multiplier_num, multiplier_den, payout, settled_at,
    settlement_transaction_id, void_reason"""

_INSERT = text(
    f"""
    INSERT INTO bets ({COLUMNS})
    VALUES (:id, :player_id, :game, :currency, :stake, CAST(:params AS jsonb), :house_edge,
        :max_payout, :state, :placed_at, :placed_transaction_id, :seed_pair_id, :nonce,
        :server_seed_hash, :client_seed, :dice_chat_id, :dice_message_id, :outcome,
        :multiplier_num, :multiplier_den, :payout, :settled_at, :settlement_transaction_id,
        :void_reason)
    ON CONFLICT (id) DO NOTHING
    RETURNING id
    """  # noqa: S608 - a constant column list  # nosec B608
)
_SELECT = text(f"SELECT {COLUMNS} FROM bets WHERE id = :id")  # noqa: S608 - a constant column list  # nosec B608
_SELECT_MANY = text(
    f"SELECT {COLUMNS} FROM bets WHERE id = ANY(CAST(:ids AS uuid[]))"  # noqa: S608 - a constant column list  # nosec B608
)
_SELECT_FOR_UPDATE = text(f"SELECT {COLUMNS} FROM bets WHERE id = :id FOR UPDATE")  # noqa: S608 - a constant column list  # nosec B608
_RECENT = text(
    f"SELECT {COLUMNS} FROM bets WHERE player_id = :player"  # noqa: S608 - a constant column list  # nosec B608
    " ORDER BY placed_at DESC, id DESC LIMIT :limit"
)
_SETTLE = text(
    """
    UPDATE bets SET state = :state, dice_chat_id = :dice_chat_id,
        dice_message_id = :dice_message_id, outcome = :outcome,
        multiplier_num = :multiplier_num, multiplier_den = :multiplier_den, payout = :payout,
        settled_at = :settled_at, settlement_transaction_id = :settlement_transaction_id,
        void_reason = :void_reason
    WHERE id = :id AND state = 'placed'
    RETURNING id
    """
)
# `_SETTLE` for many bets: one array per column, unnested side by side.
_SETTLE_COLUMNS = {
    "id": "uuid",
    "state": "text",
    "dice_chat_id": "bigint",
    "dice_message_id": "bigint",
    "outcome": "bigint",
    "multiplier_num": "numeric",
    "multiplier_den": "numeric",
    "payout": "bigint",
    "settled_at": "timestamptz",
    "settlement_transaction_id": "uuid",
    "void_reason": "text",
}
_SETTLE_MANY = text(
    "WITH x AS (SELECT * FROM unnest("  # noqa: S608  # nosec B608 - names and types are constants
    + ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _SETTLE_COLUMNS.items())
    + ") AS x("
    + ", ".join(_SETTLE_COLUMNS)
    + ")), saved AS (UPDATE bets b SET state = x.state, dice_chat_id = x.dice_chat_id,"
    " dice_message_id = x.dice_message_id, outcome = x.outcome,"
    " multiplier_num = x.multiplier_num, multiplier_den = x.multiplier_den,"
    " payout = x.payout, settled_at = x.settled_at,"
    " settlement_transaction_id = x.settlement_transaction_id, void_reason = x.void_reason"
    " FROM x WHERE b.id = x.id AND b.state = 'placed' RETURNING b.id)"
    " SELECT count(*) FROM saved"
)


class SqlBets:
    def __init__(self, conn: AsyncConnection, currencies: CurrencyRegistry) -> None:
        self._conn = conn
        self._currencies = currencies

    async def add(self, bet: Bet) -> bool:
        try:
            row = (await self._conn.execute(_INSERT, bet_row(bet))).first()
        except DBAPIError as error:
            raise _translate(error, bet) from None
        return row is not None

    async def find(self, bet_id: uuid.UUID, *, for_update: bool = False) -> Bet | None:
        query = _SELECT_FOR_UPDATE if for_update else _SELECT
        row = (await self._conn.execute(query, {"id": bet_id})).first()
        return None if row is None else self.from_row(row)

    async def find_many(self, bet_ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, Bet]:
        rows = await self._conn.execute(_SELECT_MANY, {"ids": list(bet_ids)})
        return {row.id: self.from_row(row) for row in rows}

    async def save(self, bet: Bet) -> None:
        values = bet_row(bet)
        try:
            row = (await self._conn.execute(_SETTLE, values)).first()
        except DBAPIError as error:
            raise _translate(error, bet) from None
        if row is None:
            raise NotFound(f"no placed bet {bet.id} to settle")

    async def save_many(self, bets: Sequence[Bet]) -> None:
        rows = [bet_row(bet) for bet in bets]
        columns = {name: [row[name] for row in rows] for name in _SETTLE_COLUMNS}
        try:
            saved = (await self._conn.execute(_SETTLE_MANY, columns)).scalar_one()
        except DBAPIError as error:
            raise _translate(error, bets[0]) from None
        if saved != len(bets):
            raise NotFound(f"{len(bets) - saved} of {len(bets)} bets were no longer placed")

    async def recent(self, player_id: int, *, limit: int) -> Sequence[Bet]:
        rows = await self._conn.execute(_RECENT, {"player": player_id, "limit": limit})
        return [self.from_row(r) for r in rows]

    def from_row(self, row: Any) -> Bet:
        """A bet from its columns (`COLUMNS`), as this repository and `SqlPlacements` read it."""
        currency = self._currencies.get(row.currency)
        params = row.params if isinstance(row.params, dict) else json.loads(row.params)
        game = game_by_code(row.game)
        fairness = None
        if row.seed_pair_id is not None:
            fairness = FairnessProof(
                row.seed_pair_id, row.nonce, row.server_seed_hash, row.client_seed
            )
        dice = None
        if row.dice_chat_id is not None:
            dice = DiceThrow(row.dice_chat_id, row.dice_message_id)
        multiplier = None
        if row.multiplier_num is not None:
            multiplier = Fraction(int(row.multiplier_num), int(row.multiplier_den))
        return Bet(
            id=row.id,
            player_id=row.player_id,
            game=row.game,
            selection=game.parse(params),
            params=params,
            stake=Money(row.stake, currency),
            house_edge=Fraction(row.house_edge),
            max_payout=row.max_payout,
            state=BetState(row.state),
            placed_at=row.placed_at,
            placed_transaction_id=row.placed_transaction_id,
            fairness=fairness,
            dice=dice,
            outcome=row.outcome,
            multiplier=multiplier,
            payout=row.payout,
            settled_at=row.settled_at,
            settlement_transaction_id=row.settlement_transaction_id,
            void_reason=row.void_reason,
        )


def bet_row(bet: Bet) -> dict[str, Any]:
    """The bet's columns, `params` as its JSON text."""
    return bet_columns(bet, json.dumps(dict(bet.params), sort_keys=True))


def bet_columns(bet: Bet, params: Any) -> dict[str, Any]:
    """The bet's columns with `params` as given (the snapshot write sends the mapping inside
    its own JSON argument: no JSON text of it a bet to throw away)."""
    fairness, dice, multiplier = bet.fairness, bet.dice, bet.multiplier
    return {
        "id": bet.id,
        "player_id": bet.player_id,
        "game": bet.game,
        "currency": bet.stake.currency.code,
        "stake": bet.stake.amount,
        "params": params,
        "house_edge": _decimal(bet.house_edge),
        "max_payout": bet.max_payout,
        "state": bet.state.value,
        "placed_at": bet.placed_at,
        "placed_transaction_id": bet.placed_transaction_id,
        "seed_pair_id": fairness.seed_pair_id if fairness else None,
        "nonce": fairness.nonce if fairness else None,
        "server_seed_hash": fairness.server_seed_hash if fairness else None,
        "client_seed": fairness.client_seed if fairness else None,
        "dice_chat_id": dice.chat_id if dice else None,
        "dice_message_id": dice.message_id if dice else None,
        "outcome": bet.outcome,
        "multiplier_num": multiplier.numerator if multiplier is not None else None,
        "multiplier_den": multiplier.denominator if multiplier is not None else None,
        "payout": bet.payout,
        "settled_at": bet.settled_at,
        "settlement_transaction_id": bet.settlement_transaction_id,
        "void_reason": bet.void_reason,
    }


@functools.lru_cache(maxsize=256)
def _decimal(value: Fraction) -> str:
    # House edges are configured with at most six decimals (numeric(7, 6)), so this is exact.
    # A handful of distinct edges, one a bet: each one's text is made once.
    return str(Decimal(value.numerator) / Decimal(value.denominator))


def _translate(error: DBAPIError, bet: Bet) -> Exception:
    if isinstance(error, IntegrityError) and sqlstate(error) == "23505":
        if bet.dice is not None and "uq_bets_dice" in str(error.orig):
            return IdempotencyConflict(
                f"dice message {bet.dice.message_id} already settled another bet"
            )
        return IdempotencyConflict(f"bet {bet.id} conflicts with an existing bet: {error.orig}")
    return to_domain_error(error) or error
