"""Checks of the ledger's invariants, run over the whole database.

Each check is one set-based query that returns the offending rows, so an empty report means
the books are consistent. Used by the test suite after every concurrency and stateful test,
and by operators (`croupier reconcile`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.postgres.bets import COLUMNS as BET_COLUMNS
from adapters.postgres.bets import SqlBets
from adapters.postgres.crash import chain_from_row, round_from_row, seat_from_row
from adapters.postgres.mines import SqlMines
from adapters.postgres.outbox import missing_events
from adapters.postgres.reconcile_bonuses import BONUS_CHECKS
from adapters.postgres.reconcile_crypto import CRYPTO_CHECKS
from adapters.postgres.reconcile_duels import DUEL_CHECKS
from adapters.postgres.reconcile_promotions import PROMOTION_CHECKS
from adapters.postgres.seeds import SqlSeedPairs
from adapters.seed_cipher import SeedCipher
from application import ports
from domain.bets import Bet
from domain.crash_rounds import CrashSeat
from domain.mines import MinesField
from domain.money import CurrencyRegistry

_CHECKS: tuple[tuple[str, str], ...] = (
    (
        "currency does not sum to zero",
        """
        SELECT currency, sum(amount) AS total FROM ledger_legs
        GROUP BY currency HAVING sum(amount) <> 0
        """,
    ),
    (
        "transaction does not balance",
        """
        SELECT transaction_id, currency, sum(amount) AS total FROM ledger_legs
        GROUP BY transaction_id, currency HAVING sum(amount) <> 0
        """,
    ),
    (
        "transaction has fewer than two legs",
        """
        SELECT t.id, count(l.id) AS legs FROM ledger_transactions t
        LEFT JOIN ledger_legs l ON l.transaction_id = t.id
        GROUP BY t.id HAVING count(l.id) < 2
        """,
    ),
    (
        "balance differs from the sum of its legs",
        """
        SELECT a.id, a.balance, coalesce(s.total, 0) AS legs_total
        FROM accounts a
        LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger_legs GROUP BY account_id) s
               ON s.account_id = a.id
        WHERE a.balance <> coalesce(s.total, 0)
        """,
    ),
    (
        "forbidden negative balance",
        "SELECT id, kind, balance FROM accounts WHERE balance < 0 AND NOT allow_negative",
    ),
    (
        "leg currency differs from its account",
        """
        SELECT l.id, l.currency, a.currency AS account_currency FROM ledger_legs l
        JOIN accounts a ON a.id = l.account_id WHERE a.currency <> l.currency
        """,
    ),
    (
        "running balance breaks",
        """
        SELECT id, account_id FROM (
            SELECT id, account_id, balance_after,
                   sum(amount) OVER (PARTITION BY account_id ORDER BY id) AS running
            FROM ledger_legs) x
        WHERE balance_after <> running
        """,
    ),
    (
        "bets in play differ from the stakes of open bets",
        """
        SELECT a.currency, a.in_play, coalesce(b.open_stakes, 0) AS open_stakes
        FROM (SELECT currency, sum(balance) AS in_play FROM accounts
              WHERE kind = 'bets_in_play' GROUP BY currency) a
        LEFT JOIN (SELECT currency, sum(stake) AS open_stakes FROM bets
                   WHERE state = 'placed' GROUP BY currency) b ON b.currency = a.currency
        WHERE a.in_play <> coalesce(b.open_stakes, 0)
        """,
    ),
    (
        # A bet placed and settled as one transaction (its placement's, docs/ledger.md) moved
        # the wallet by the payout less the stake: the stake is added back to compare.
        "bet was paid differently than it settled",
        """
        SELECT b.id, b.state, b.payout, coalesce(w.paid, 0) AS paid FROM bets b
        LEFT JOIN (SELECT l.transaction_id, sum(l.amount) AS paid FROM ledger_legs l
                   JOIN accounts a ON a.id = l.account_id AND a.kind = 'player_wallet'
                   GROUP BY l.transaction_id) w ON w.transaction_id = b.settlement_transaction_id
        WHERE b.state <> 'placed'
          AND coalesce(w.paid, 0)
              + CASE WHEN b.settlement_transaction_id = b.placed_transaction_id
                     THEN b.stake ELSE 0 END
              <> CASE b.state WHEN 'voided' THEN b.stake ELSE b.payout END
        """,
    ),
    (
        # A game open while its bet is over (or over while its bet is open) holds or frees a
        # stake behind the other's back; a voided game is the one whose bet was voided.
        "mines game and its bet disagree",
        """
        SELECT m.id, m.state, b.state AS bet_state FROM mines_games m
        JOIN bets b ON b.id = m.id
        WHERE (m.state = 'open') <> (b.state = 'placed')
           OR (m.state = 'voided') <> (b.state = 'voided')
        """,
    ),
    (
        "seamless transaction moved the player's wallet differently than it records",
        """
        WITH wallet_moves AS (
            SELECT l.transaction_id, a.player_id, sum(l.amount) AS moved FROM ledger_legs l
            JOIN accounts a ON a.id = l.account_id AND a.kind = 'player_wallet'
            GROUP BY l.transaction_id, a.player_id)
        SELECT p.provider, p.transaction_id, p.kind, p.state, p.amount,
               coalesce(m.moved, 0) AS moved, coalesce(r.moved, 0) AS refunded
        FROM provider_transactions p
        LEFT JOIN wallet_moves m
               ON m.transaction_id = p.ledger_transaction_id AND m.player_id = p.player_id
        LEFT JOIN wallet_moves r
               ON r.transaction_id = p.rollback_ledger_transaction_id
              AND r.player_id = p.player_id
        WHERE coalesce(m.moved, 0)
                  <> CASE p.kind WHEN 'debit' THEN -coalesce(p.amount, 0) ELSE p.amount END
           OR coalesce(r.moved, 0) <> CASE p.state WHEN 'rolled_back' THEN p.amount ELSE 0 END
        """,
    ),
    (
        "seamless round is not closed by exactly its one credit",
        """
        SELECT r.provider, r.round_id, r.closed_by, p.transaction_id AS credit
        FROM seamless_rounds r
        FULL JOIN (SELECT * FROM provider_transactions WHERE kind = 'credit') p
               ON p.provider = r.provider AND p.transaction_id = r.closed_by
        WHERE p.transaction_id IS NULL AND r.closed_by IS NOT NULL
           OR r.round_id IS NULL
           OR p.round_id <> r.round_id
        """,
    ),
    (
        "withdrawal moved the player's wallet differently than its state says",
        """
        WITH wallet_moves AS (
            SELECT l.transaction_id, sum(l.amount) AS moved FROM ledger_legs l
            JOIN accounts a ON a.id = l.account_id AND a.kind = 'player_wallet'
            GROUP BY l.transaction_id)
        SELECT w.id, w.state, w.amount, coalesce(r.moved, 0) AS requested,
               coalesce(d.moved, 0) + coalesce(s.moved, 0) AS returned
        FROM withdrawals w
        LEFT JOIN wallet_moves r ON r.transaction_id = w.request_transaction_id
        LEFT JOIN wallet_moves d ON d.transaction_id = w.decision_transaction_id
        LEFT JOIN wallet_moves s ON s.transaction_id = w.settlement_transaction_id
        WHERE coalesce(r.moved, 0) <> -w.amount
           OR coalesce(d.moved, 0) + coalesce(s.moved, 0)
              <> CASE WHEN w.state IN ('rejected', 'failed', 'cancelled') THEN w.amount ELSE 0 END
        """,
    ),
    # The promotion books: budgets, bonuses and the promotions account.
    *PROMOTION_CHECKS,
    *BONUS_CHECKS,
    *DUEL_CHECKS,
    *CRYPTO_CHECKS,
)


@dataclass(frozen=True, slots=True)
class Discrepancy:
    check: str
    row: dict[str, object]

    def __str__(self) -> str:
        return f"{self.check}: {self.row}"


async def reconcile(conn: AsyncConnection) -> list[Discrepancy]:
    """Every broken invariant, or an empty list. Runs in one REPEATABLE READ snapshot so that
    postings committed while it runs cannot produce false alarms."""
    found: list[Discrepancy] = []
    await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
    for name, sql in _CHECKS:
        for row in await conn.execute(text(sql)):
            found.append(Discrepancy(name, dict(row._mapping)))
    return found


_SETTLED = text(
    f"""
    SELECT {BET_COLUMNS} FROM bets
    WHERE state IN ('won', 'lost') AND id > :after
    ORDER BY id LIMIT :limit
    """  # noqa: S608 - a constant column list  # nosec B608
)
_FIRST_ID = uuid.UUID(int=0)
_CRASHED_ROUNDS = text(
    "SELECT r.id, r.chain_id, r.number, r.phase, r.betting_ends_at, r.started_at, r.crashed_at,"
    " r.crash_point, r.round_hash, r.interrupted FROM crash_rounds r"
    " WHERE r.phase = 'crashed' AND r.id > :after ORDER BY r.id LIMIT :limit"
)
_CRASH_CHAINS = text(
    "SELECT id, end_hash, salt, length, next_round FROM crash_chains"
    " WHERE id = ANY(CAST(:ids AS bigint[]))"
)
_CRASH_SEATS = text(
    "SELECT bet_id, round_id, player_id, currency, target, exposure, cashed_out_at,"
    " cashed_out_ms FROM crash_bets WHERE round_id = ANY(CAST(:ids AS bigint[]))"
    " ORDER BY round_id, bet_id"
)
_CRASH_BETS = text(
    f"SELECT {BET_COLUMNS} FROM bets WHERE id = ANY(CAST(:ids AS uuid[]))"  # noqa: S608  # nosec B608
)


class SqlBooksAudit:
    """`BooksAudit` over the whole database, each call on a connection of its own."""

    def __init__(self, engine: AsyncEngine, currencies: CurrencyRegistry, cipher: SeedCipher):
        self._engine = engine
        self._currencies = currencies
        self._cipher = cipher

    async def ledger_problems(self) -> list[ports.Discrepancy]:
        async with self._engine.connect() as conn:
            return [ports.Discrepancy(d.check, str(d.row)) for d in await reconcile(conn)]

    async def missing_events(self, limit: int) -> list[str]:
        async with self._engine.connect() as conn:
            return await missing_events(conn, limit=limit)

    async def crashed_rounds(self, after: int, limit: int) -> list[ports.CrashedRoundBook]:
        async with self._engine.connect() as conn:
            # One snapshot for the rounds, their seats and their bets.
            await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            rounds = [
                round_from_row(r)
                for r in await conn.execute(_CRASHED_ROUNDS, {"after": after, "limit": limit})
            ]
            if not rounds:
                return []
            chain_ids = sorted({r.chain_id for r in rounds})
            chains = {
                c.id: c
                for c in map(chain_from_row, await conn.execute(_CRASH_CHAINS, {"ids": chain_ids}))
            }
            seats = [
                seat_from_row(r)
                for r in await conn.execute(_CRASH_SEATS, {"ids": [r.id for r in rounds]})
            ]
            decode = SqlBets(conn, self._currencies)
            rows = await conn.execute(_CRASH_BETS, {"ids": [str(s.bet_id) for s in seats]})
            bets = {b.id: b for b in (decode.from_row(r) for r in rows)}
        by_round: dict[int, list[tuple[CrashSeat, Bet | None]]] = {}
        for seat in seats:
            by_round.setdefault(seat.round_id, []).append((seat, bets.get(seat.bet_id)))
        return [
            ports.CrashedRoundBook(r, chains[r.chain_id], tuple(by_round.get(r.id, ())))
            for r in rounds
        ]

    async def settled_bets(
        self, after: uuid.UUID | None, limit: int
    ) -> Sequence[tuple[Bet, str | None]]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(_SETTLED, {"after": after or _FIRST_ID, "limit": limit})
            decode = SqlBets(conn, self._currencies)
            bets = [decode.from_row(r) for r in rows]
            pairs = await SqlSeedPairs(conn, self._cipher).readable(
                [b.fairness.seed_pair_id for b in bets if b.fairness is not None]
            )
        seeds = {pair_id: pair.server_seed for pair_id, pair in pairs.items()}
        return [(b, seeds.get(b.fairness.seed_pair_id) if b.fairness else None) for b in bets]

    async def mines_fields(self, game_ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, MinesField]:
        async with self._engine.connect() as conn:
            return await SqlMines(conn).of_bets(game_ids)
