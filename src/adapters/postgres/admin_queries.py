"""Read models of the admin API in PostgreSQL: players, the journal and bets.

Each query is read-only and runs on its own pooled connection. The WHERE clauses are put
together from constant fragments, one per filter that is set (so the planner sees a plain
predicate it can use an index for), and every value is a bound parameter. Pages are keyset
pages: `(created_at, id) < (cursor)` in a newest-first order, never an OFFSET."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.personal_data import PersonalDataCipher
from adapters.postgres.personal import open_username, username_index
from application.betting.queries import BetFilter, BetSummary
from application.ledger_queries import LedgerFilter, LegView, TransactionView
from application.ports import PlayerFilter, PlayerNote, PlayerSummary, WalletBalance
from domain.accounts import AccountKind
from domain.bets import BetState
from domain.ledger import TransactionKind
from domain.players import PlayerStatus


def _where(clauses: list[str]) -> str:
    return " AND ".join(clauses) if clauses else "true"


# -- players -------------------------------------------------------------------------------

_PLAYER_COLUMNS = (
    "id, telegram_user_id, username_sealed, language_code, status, status_reason, created_at"
)


def _player(row: Any, personal: PersonalDataCipher) -> PlayerSummary:
    return PlayerSummary(
        id=row.id,
        telegram_user_id=row.telegram_user_id,
        username=open_username(personal, row),
        language_code=row.language_code,
        status=PlayerStatus(row.status),
        status_reason=row.status_reason,
        created_at=row.created_at,
    )


def _note(row: Any) -> PlayerNote:
    return PlayerNote(row.id, row.player_id, row.author, row.body, row.created_at)


class SqlPlayerDirectory:
    def __init__(self, engine: AsyncEngine, personal: PersonalDataCipher) -> None:
        self._engine = engine
        self._personal = personal

    async def search(
        self, where: PlayerFilter, *, before_id: int | None, limit: int
    ) -> Sequence[PlayerSummary]:
        clauses: list[str] = []
        params: dict[str, Any] = {"limit": limit}
        if where.telegram_user_id is not None:
            clauses.append("telegram_user_id = :tg")
            params["tg"] = where.telegram_user_id
        if where.username is not None:
            clauses.append("username_index = :username_index")
            params["username_index"] = username_index(self._personal, where.username)
        if where.status is not None:
            clauses.append("status = :status")
            params["status"] = where.status.value
        if before_id is not None:
            clauses.append("id < :before")
            params["before"] = before_id
        query = text(
            f"SELECT {_PLAYER_COLUMNS} FROM players WHERE {_where(clauses)}"  # noqa: S608 - constant fragments  # nosec B608
            " ORDER BY id DESC LIMIT :limit"
        )
        async with self._engine.connect() as conn:
            rows = await conn.execute(query, params)
            return [_player(r, self._personal) for r in rows]

    async def player(self, player_id: int) -> PlayerSummary | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    text(f"SELECT {_PLAYER_COLUMNS} FROM players WHERE id = :id"),  # noqa: S608 - a constant column list  # nosec B608
                    {"id": player_id},
                )
            ).first()
        return None if row is None else _player(row, self._personal)

    async def balances(self, player_id: int) -> Sequence[WalletBalance]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT id, currency, balance FROM accounts"
                    " WHERE player_id = :player AND kind = 'player_wallet' ORDER BY currency"
                ),
                {"player": player_id},
            )
            return [WalletBalance(r.id, r.currency, r.balance) for r in rows]

    async def notes(
        self, player_id: int, *, before_id: int | None, limit: int
    ) -> Sequence[PlayerNote]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT id, player_id, author, body, created_at FROM player_notes"
                    " WHERE player_id = :player AND id < :before"
                    " ORDER BY id DESC LIMIT :limit"
                ),
                {
                    "player": player_id,
                    "before": 2**63 - 1 if before_id is None else before_id,
                    "limit": limit,
                },
            )
            return [_note(r) for r in rows]


# -- the journal -----------------------------------------------------------------------------

_TRANSACTION_COLUMNS = "t.id, t.kind, t.idempotency_key, t.reference, t.metadata, t.created_at"
_LEGS = text(
    """
    SELECT l.id, l.transaction_id, l.account_id, a.kind, a.player_id, l.currency, l.amount,
           l.balance_after
    FROM ledger_legs l JOIN accounts a ON a.id = l.account_id
    WHERE l.transaction_id = ANY(CAST(:ids AS uuid[]))
    ORDER BY l.transaction_id, l.account_id
    """
)


def _leg(row: Any) -> LegView:
    return LegView(
        leg_id=row.id,
        account_id=row.account_id,
        account_kind=AccountKind(row.kind),
        player_id=row.player_id,
        currency=row.currency,
        amount=row.amount,
        balance_after=row.balance_after,
    )


def _metadata(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else dict(json.loads(value))


def _period_and_page(
    clauses: list[str],
    params: dict[str, Any],
    at: str,
    id_: str,
    since: datetime | None,
    until: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
) -> None:
    """The period filter (`since <= at < until`) and the keyset page (rows strictly before
    `after` in newest-first `(at, id)` order) that every staff list takes. `at` and `id_` are
    constant column names of the caller's query, never input."""
    if since is not None:
        clauses.append(f"{at} >= :since")
        params["since"] = since
    if until is not None:
        clauses.append(f"{at} < :until")
        params["until"] = until
    if after is not None:
        clauses.append(f"({at}, {id_}) < (CAST(:after_at AS timestamptz), CAST(:after_id AS uuid))")
        params["after_at"], params["after_id"] = after


class SqlLedgerQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def transactions(
        self,
        where: LedgerFilter,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[TransactionView]:
        clauses: list[str] = []
        params: dict[str, Any] = {"limit": limit}
        if where.player_id is not None:
            clauses.append(
                "EXISTS (SELECT 1 FROM ledger_legs pl JOIN accounts pa ON pa.id = pl.account_id"
                " WHERE pl.transaction_id = t.id AND pa.player_id = :player)"
            )
            params["player"] = where.player_id
        if where.kind is not None:
            clauses.append("t.kind = :kind")
            params["kind"] = where.kind.value
        if where.currency is not None:
            clauses.append(
                "EXISTS (SELECT 1 FROM ledger_legs cl"
                " WHERE cl.transaction_id = t.id AND cl.currency = :currency)"
            )
            params["currency"] = where.currency
        _period_and_page(clauses, params, "t.created_at", "t.id", where.since, where.until, after)
        query = text(
            f"SELECT {_TRANSACTION_COLUMNS} FROM ledger_transactions t"  # noqa: S608 - constant fragments  # nosec B608
            f" WHERE {_where(clauses)} ORDER BY t.created_at DESC, t.id DESC LIMIT :limit"
        )
        async with self._engine.connect() as conn:
            heads = (await conn.execute(query, params)).all()
            return await self._with_legs(conn, heads)

    async def transaction(self, transaction_id: uuid.UUID) -> TransactionView | None:
        async with self._engine.connect() as conn:
            heads = (
                await conn.execute(
                    text(
                        f"SELECT {_TRANSACTION_COLUMNS} FROM ledger_transactions t"  # noqa: S608 - a constant column list  # nosec B608
                        " WHERE t.id = :id"
                    ),
                    {"id": transaction_id},
                )
            ).all()
            found = await self._with_legs(conn, heads)
        return found[0] if found else None

    @staticmethod
    async def _with_legs(conn: Any, heads: Sequence[Any]) -> list[TransactionView]:
        if not heads:
            return []
        legs: dict[uuid.UUID, list[LegView]] = {h.id: [] for h in heads}
        for row in await conn.execute(_LEGS, {"ids": list(legs)}):
            legs[row.transaction_id].append(_leg(row))
        return [
            TransactionView(
                id=h.id,
                kind=TransactionKind(h.kind),
                idempotency_key=h.idempotency_key,
                reference=h.reference,
                metadata=_metadata(h.metadata),
                created_at=h.created_at,
                legs=tuple(legs[h.id]),
            )
            for h in heads
        ]


# -- bets ------------------------------------------------------------------------------------

_BET_COLUMNS = (
    "id, player_id, game, params, currency, stake, state, outcome, multiplier_num,"
    " multiplier_den, payout, placed_at, settled_at"
)


def _bet(row: Any) -> BetSummary:
    multiplier = None
    if row.multiplier_num is not None:
        multiplier = Fraction(int(row.multiplier_num), int(row.multiplier_den))
    params = row.params if isinstance(row.params, dict) else json.loads(row.params)
    return BetSummary(
        id=row.id,
        player_id=row.player_id,
        game=row.game,
        params={str(k): str(v) for k, v in params.items()},
        currency=row.currency,
        stake=row.stake,
        state=BetState(row.state),
        outcome=row.outcome,
        multiplier=multiplier,
        payout=row.payout,
        placed_at=row.placed_at,
        settled_at=row.settled_at,
    )


class SqlBetQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def search(
        self,
        where: BetFilter,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[BetSummary]:
        clauses: list[str] = []
        params: dict[str, Any] = {"limit": limit}
        if where.player_id is not None:
            clauses.append("player_id = :player")
            params["player"] = where.player_id
        if where.game is not None:
            clauses.append("game = :game")
            params["game"] = where.game
        if where.state is not None:
            clauses.append("state = :state")
            params["state"] = where.state.value
        _period_and_page(clauses, params, "placed_at", "id", where.since, where.until, after)
        query = text(
            f"SELECT {_BET_COLUMNS} FROM bets WHERE {_where(clauses)}"  # noqa: S608 - constant fragments  # nosec B608
            " ORDER BY placed_at DESC, id DESC LIMIT :limit"
        )
        async with self._engine.connect() as conn:
            rows = await conn.execute(query, params)
            return [_bet(r) for r in rows]
