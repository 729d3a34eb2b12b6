"""Free bets in PostgreSQL: one row per free bet, played or expired once (a trigger refuses any
other move), with the play's proof beside its outcome (docs/bonuses.md, "Free bets")."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.errors import to_domain_error
from application.ports import FreeBetCounts
from domain.bets import FairnessProof
from domain.errors import IllegalTransition, NotFound
from domain.free_bets import FreeBet, FreeBetPlay, FreeBetState
from domain.games.catalog import game_by_code
from domain.money import CurrencyRegistry, Money

_COLUMNS = (
    "id, player_id, campaign, game, params, currency, stake, max_win, state, granted_at,"
    " expires_at, played_at, seed_pair_id, nonce, server_seed_hash, client_seed, house_edge,"
    " outcome, multiplier_num, multiplier_den, payout, winnings, bonus_id, expired_at"
)
_GET = text(f"SELECT {_COLUMNS} FROM free_bets WHERE id = :id")  # noqa: S608 - a constant column list  # nosec B608
_GET_FOR_UPDATE = text(f"SELECT {_COLUMNS} FROM free_bets WHERE id = :id FOR UPDATE")  # noqa: S608 - a constant column list  # nosec B608
# Granted ones first, soonest expiry first; then the latest played or expired.
_OF_PLAYER = text(
    f"SELECT {_COLUMNS} FROM free_bets WHERE player_id = :player"  # noqa: S608 - a constant column list  # nosec B608
    " ORDER BY state <> 'granted',"
    " CASE WHEN state = 'granted' THEN expires_at END,"
    " coalesce(played_at, expired_at) DESC, id LIMIT :limit"
)
_INSERT = text(
    """
    INSERT INTO free_bets (id, player_id, campaign, game, params, currency, stake, max_win,
                           state, granted_at, expires_at)
    VALUES (:id, :player, :campaign, :game, CAST(:params AS jsonb), :currency, :stake,
            :max_win, 'granted', :granted_at, :expires_at)
    """
)
_PLAY = text(
    """
    UPDATE free_bets SET state = 'played', played_at = :played_at, seed_pair_id = :pair,
        nonce = :nonce, server_seed_hash = :hash, client_seed = :client_seed,
        house_edge = :house_edge, outcome = :outcome, multiplier_num = :num,
        multiplier_den = :den, payout = :payout, winnings = :winnings, bonus_id = :bonus
    WHERE id = :id AND state = 'granted'
    """
)
_EXPIRE = text(
    "UPDATE free_bets SET state = 'expired', expired_at = :at WHERE id = :id AND state = 'granted'"
)
_DUE = text(
    "SELECT id FROM free_bets WHERE state = 'granted' AND expires_at <= :now"
    " ORDER BY expires_at, id LIMIT :limit"
)
_BUDGET_LEFT = text(
    "SELECT total - spent AS left, currency FROM promotion_budgets WHERE code = :code FOR UPDATE"
)
_COUNTS = text(
    """
    SELECT count(*) AS granted,
           count(*) FILTER (WHERE state = 'played') AS played,
           count(*) FILTER (WHERE winnings > 0) AS won,
           count(*) FILTER (WHERE state = 'expired') AS expired,
           coalesce(sum(winnings), 0) AS winnings
    FROM free_bets WHERE campaign = :campaign
    """
)


def _decimal(value: Fraction) -> str:
    # House edges have at most six decimals (numeric(7, 6)), so this is exact.
    return str(Decimal(value.numerator) / Decimal(value.denominator))


class SqlFreeBets:
    def __init__(self, conn: AsyncConnection, currencies: CurrencyRegistry) -> None:
        self._conn = conn
        self._currencies = currencies

    async def add(self, free_bets: Sequence[FreeBet]) -> None:
        if not free_bets:
            return
        rows = [
            {
                "id": fb.id,
                "player": fb.player_id,
                "campaign": fb.campaign,
                "game": fb.game,
                "params": json.dumps(dict(fb.params), sort_keys=True),
                "currency": fb.currency.code,
                "stake": fb.stake.amount,
                "max_win": fb.max_win.amount,
                "granted_at": fb.granted_at,
                "expires_at": fb.expires_at,
            }
            for fb in free_bets
        ]
        await self._conn.execute(_INSERT, rows)

    async def get(self, free_bet_id: uuid.UUID, *, for_update: bool = False) -> FreeBet:
        query = _GET_FOR_UPDATE if for_update else _GET
        row = (await self._conn.execute(query, {"id": free_bet_id})).first()
        if row is None:
            raise NotFound(f"there is no free bet {free_bet_id}")
        return self._free_bet(row)

    async def save(self, free_bet: FreeBet) -> None:
        if free_bet.state is FreeBetState.PLAYED:
            play = free_bet.play
            assert play is not None  # the domain's invariant
            query = _PLAY
            params: dict[str, Any] = {
                "id": free_bet.id,
                "played_at": play.played_at,
                "pair": play.proof.seed_pair_id,
                "nonce": play.proof.nonce,
                "hash": play.proof.server_seed_hash,
                "client_seed": play.proof.client_seed,
                "house_edge": _decimal(play.house_edge),
                "outcome": play.outcome,
                "num": play.multiplier.numerator,
                "den": play.multiplier.denominator,
                "payout": play.payout.amount,
                "winnings": play.winnings.amount,
                "bonus": play.bonus_id,
            }
        else:
            query = _EXPIRE
            params = {"id": free_bet.id, "at": free_bet.expired_at}
        try:
            result = await self._conn.execute(query, params)
        except DBAPIError as error:
            raise to_domain_error(error) or error from error
        if result.rowcount != 1:
            raise IllegalTransition(f"free bet {free_bet.id} is no longer granted")

    async def of_player(self, player_id: int, *, limit: int) -> Sequence[FreeBet]:
        rows = await self._conn.execute(_OF_PLAYER, {"player": player_id, "limit": limit})
        return [self._free_bet(r) for r in rows]

    async def due_to_expire(self, now: datetime, *, limit: int) -> Sequence[uuid.UUID]:
        rows = await self._conn.execute(_DUE, {"now": now, "limit": limit})
        return [r.id for r in rows]

    async def budget_left(self, code: str) -> Money:
        row = (await self._conn.execute(_BUDGET_LEFT, {"code": code})).first()
        if row is None:
            raise NotFound(f"no promotion budget {code!r}")
        return Money(int(row.left), self._currencies.get(row.currency))

    async def counts(self, campaign: str) -> FreeBetCounts:
        row = (await self._conn.execute(_COUNTS, {"campaign": campaign})).one()
        return FreeBetCounts(
            int(row.granted), int(row.played), int(row.won), int(row.expired), int(row.winnings)
        )

    def _free_bet(self, row: Any) -> FreeBet:
        currency = self._currencies.get(row.currency)
        params = row.params if isinstance(row.params, dict) else json.loads(row.params)
        play = None
        if row.state == FreeBetState.PLAYED:
            game = game_by_code(row.game)
            play = FreeBetPlay(
                proof=FairnessProof(
                    row.seed_pair_id, row.nonce, row.server_seed_hash, row.client_seed
                ),
                outcome=row.outcome,
                description=game.describe_bet(game.parse(params), row.outcome),
                multiplier=Fraction(int(row.multiplier_num), int(row.multiplier_den)),
                house_edge=Fraction(row.house_edge),
                payout=Money(row.payout, currency),
                winnings=Money(row.winnings, currency),
                played_at=row.played_at,
                bonus_id=row.bonus_id,
            )
        return FreeBet(
            id=row.id,
            player_id=row.player_id,
            campaign=row.campaign,
            game=row.game,
            params=params,
            stake=Money(row.stake, currency),
            max_win=Money(row.max_win, currency),
            granted_at=row.granted_at,
            expires_at=row.expires_at,
            state=FreeBetState(row.state),
            play=play,
            expired_at=row.expired_at,
        )
