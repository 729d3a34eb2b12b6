"""The reports' read model in PostgreSQL: set-based aggregates, one query per report.

Each report runs in its own READ ONLY, REPEATABLE READ transaction, so it is one consistent
snapshot even while bets and postings commit around it. The zero rows come from the SQL
itself: the days (`generate_series`), the games and the currencies in scope are crossed, and
the aggregates are LEFT JOINed onto that grid. Days are UTC days; the time filters are
half-open ranges on the raw timestamps (`>= start AND < end`), so an index on them can be
used. Filters are constant fragments, their values bound parameters."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from application.reports import RtpData
from domain.bankroll_report import AccountTotal
from domain.games.mines import TILES
from domain.reports import BetGroup, CashflowRow, GgrRow, ReportPeriod, ReportScope

_SNAPSHOT = text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
_ACCOUNT_TOTALS = text(
    "SELECT currency, kind, COALESCE(sum(balance), 0) AS balance FROM accounts"
    " GROUP BY currency, kind ORDER BY currency, kind"
)

# Settled means won or lost: a voided bet returned its stake and is no revenue.
_SETTLED = "b.state IN ('won', 'lost') AND b.settled_at >= :start AND b.settled_at < :end"


def _scope_params(period: ReportPeriod, scope: ReportScope) -> dict[str, Any]:
    return {
        "since": period.since,
        "last": period.until.toordinal() - period.since.toordinal() - 1,
        "start": period.start,
        "end": period.end,
        "currency": scope.currency,
        "game": scope.game,
    }


def _filters(scope: ReportScope, *, currency: str | None, game: str | None) -> str:
    clauses = []
    if scope.currency is not None and currency is not None:
        clauses.append(f"{currency} = :currency")
    if scope.game is not None and game is not None:
        clauses.append(f"{game} = :game")
    return "".join(f" AND {c}" for c in clauses)


# Every UTC day of the period as a date: :since plus 0..:last days.
_DAYS = "SELECT CAST(:since AS date) + n AS day FROM generate_series(0, CAST(:last AS integer)) n"


def _ggr_sql(scope: ReportScope) -> str:
    return f"""
    WITH days AS ({_DAYS}),
    cells AS (
        SELECT d.day, g.code AS game, c.code AS currency
        FROM days d CROSS JOIN games g CROSS JOIN currencies c
        WHERE true{_filters(scope, currency="c.code", game="g.code")}
    ),
    settled AS (
        SELECT (b.settled_at AT TIME ZONE 'UTC')::date AS day, b.game, b.currency,
               count(*) AS bets, sum(b.stake) AS stakes, sum(b.payout) AS wins
        FROM bets b
        WHERE {_SETTLED}{_filters(scope, currency="b.currency", game="b.game")}
        GROUP BY 1, 2, 3
    )
    SELECT c.day, c.game, c.currency, coalesce(s.bets, 0) AS bets,
           coalesce(s.stakes, 0) AS stakes, coalesce(s.wins, 0) AS wins
    FROM cells c LEFT JOIN settled s USING (day, game, currency)
    ORDER BY c.day, c.game, c.currency
    """  # noqa: S608 - constant fragments  # nosec B608


def _cells_sql(scope: ReportScope) -> str:
    return f"""
    SELECT g.code AS game, c.code AS currency
    FROM games g CROSS JOIN currencies c
    WHERE true{_filters(scope, currency="c.code", game="g.code")}
    ORDER BY g.code, c.code
    """  # noqa: S608 - constant fragments  # nosec B608


def _groups_sql(scope: ReportScope) -> str:
    # numeric, not bigint: a square of a stake can pass 2^63.
    return f"""
    SELECT b.game, b.currency, b.params, b.house_edge, count(*) AS bets,
           sum(b.stake) AS stakes, sum(b.payout) AS wins,
           sum(CAST(b.stake AS numeric) * b.stake) AS stake_squares
    FROM bets b
    WHERE {_SETTLED}{_filters(scope, currency="b.currency", game="b.game")}
    GROUP BY b.game, b.currency, b.params, b.house_edge
    """  # noqa: S608 - constant fragments  # nosec B608


def _cashflow_sql(scope: ReportScope) -> str:
    # A withdrawal's wallet leg is negative; the report shows the net amount taken out.
    return f"""
    WITH days AS ({_DAYS}),
    cells AS (
        SELECT d.day, c.code AS currency
        FROM days d CROSS JOIN currencies c
        WHERE true{_filters(scope, currency="c.code", game=None)}
    ),
    moves AS (
        SELECT (t.created_at AT TIME ZONE 'UTC')::date AS day, l.currency,
               coalesce(sum(l.amount) FILTER (WHERE t.kind = 'deposit'), 0) AS deposits,
               -coalesce(sum(l.amount) FILTER (WHERE t.kind = 'withdrawal'), 0) AS withdrawals
        FROM ledger_transactions t
        JOIN ledger_legs l ON l.transaction_id = t.id
        JOIN accounts a ON a.id = l.account_id AND a.kind = 'player_wallet'
        WHERE t.kind IN ('deposit', 'withdrawal')
          AND t.created_at >= :start AND t.created_at < :end
          {_filters(scope, currency="l.currency", game=None)}
        GROUP BY 1, 2
    ),
    active AS (
        SELECT (b.placed_at AT TIME ZONE 'UTC')::date AS day, b.currency,
               count(DISTINCT b.player_id) AS players
        FROM bets b
        WHERE b.placed_at >= :start AND b.placed_at < :end
          {_filters(scope, currency="b.currency", game=None)}
        GROUP BY 1, 2
    )
    SELECT c.day, c.currency, coalesce(m.deposits, 0) AS deposits,
           coalesce(m.withdrawals, 0) AS withdrawals, coalesce(a.players, 0) AS active_players
    FROM cells c
    LEFT JOIN moves m USING (day, currency)
    LEFT JOIN active a USING (day, currency)
    ORDER BY c.day, c.currency
    """  # noqa: S608 - constant fragments  # nosec B608


def _outcomes_sql(scope: ReportScope) -> str:
    # width_bucket numbers the bins from 1 by their ascending lower bounds (0 is below the
    # first, which no stored outcome is). A modulus counts the outcome's remainder instead
    # (plinko: the path of its first rows).
    return f"""
    SELECT width_bucket(
               CASE WHEN CAST(:modulus AS bigint) > 0
                    THEN b.outcome % CAST(:modulus AS bigint) ELSE b.outcome END,
               CAST(:edges AS bigint[])) AS bin,
           count(*) AS bets
    FROM bets b
    WHERE {_SETTLED} AND b.game = :outcome_game{_filters(scope, currency="b.currency", game=None)}
    GROUP BY 1
    """  # noqa: S608 - constant fragments  # nosec B608


def _mines_sql(scope: ReportScope) -> str:
    # A mines game is counted by every mine of its field, in the range (M - 1) * 25 + tile
    # (domain.outcome_tests.outcome_counting), not by its outcome (where the player stopped).
    return f"""
    SELECT width_bucket((cardinality(m.positions) - 1) * {TILES} + p.tile,
                        CAST(:edges AS bigint[])) AS bin,
           count(*) AS bets
    FROM bets b
    JOIN mines_games m ON m.id = b.id
    CROSS JOIN LATERAL unnest(m.positions) AS p(tile)
    WHERE {_SETTLED} AND b.game = :outcome_game{_filters(scope, currency="b.currency", game=None)}
    GROUP BY 1
    """  # noqa: S608 - constant fragments  # nosec B608


# Crash is monitored on its rounds' crash points (the chain's), not on its bets' cash-outs,
# which the players choose (domain.outcome_tests.CRASH_EDGES); a round has no currency.
_CRASH_POINTS = text(
    """
    SELECT width_bucket(r.crash_point, CAST(:edges AS bigint[])) AS bin, count(*) AS bets
    FROM crash_rounds r
    WHERE r.phase = 'crashed' AND r.crashed_at >= :start AND r.crashed_at < :end
    GROUP BY 1
    """
)


def _params(value: Any) -> dict[str, str]:
    loaded = value if isinstance(value, dict) else json.loads(value)
    return {str(k): str(v) for k, v in loaded.items()}


class SqlReports:
    """`application.reports.ReportReadModel` on PostgreSQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def gross_gaming_revenue(
        self, period: ReportPeriod, scope: ReportScope
    ) -> Sequence[GgrRow]:
        async with self._engine.connect() as conn:
            return await ggr_rows(conn, period, scope)

    async def rtp_data(self, period: ReportPeriod, scope: ReportScope) -> RtpData:
        async with self._engine.connect() as conn:
            return await rtp_data(conn, period, scope)

    async def cashflow(self, period: ReportPeriod, scope: ReportScope) -> Sequence[CashflowRow]:
        async with self._engine.connect() as conn:
            return await cashflow_rows(conn, period, scope)

    async def outcome_counts(
        self,
        period: ReportPeriod,
        scope: ReportScope,
        bins: Mapping[str, Sequence[int]],
        moduli: Mapping[str, int] | None = None,
    ) -> Mapping[str, Sequence[int]]:
        async with self._engine.connect() as conn:
            return await outcome_counts(conn, period, scope, bins, moduli)

    async def account_totals(self) -> Sequence[AccountTotal]:
        # One pass over the accounts (a few rows a currency for the house, one a wallet),
        # never over the legs: the balance on the row is the sum of its legs (reconcile).
        async with self._engine.connect() as conn:
            await conn.execute(_SNAPSHOT)
            rows = await conn.execute(_ACCOUNT_TOTALS)
            return [AccountTotal(r.currency, r.kind, int(r.balance)) for r in rows]


# The queries on a connection the caller owns; each must be the first thing in its transaction
# (it sets the snapshot), and the caller ends the transaction (closing the connection does).


async def ggr_rows(conn: AsyncConnection, period: ReportPeriod, scope: ReportScope) -> list[GgrRow]:
    await conn.execute(_SNAPSHOT)
    rows = await conn.execute(text(_ggr_sql(scope)), _scope_params(period, scope))
    return [
        GgrRow(r.day, r.game, r.currency, int(r.bets), int(r.stakes), int(r.wins)) for r in rows
    ]


async def rtp_data(conn: AsyncConnection, period: ReportPeriod, scope: ReportScope) -> RtpData:
    await conn.execute(_SNAPSHOT)
    params = _scope_params(period, scope)
    cells = tuple((r.game, r.currency) for r in await conn.execute(text(_cells_sql(scope)), params))
    groups = tuple(
        BetGroup(
            game=r.game,
            currency=r.currency,
            params=_params(r.params),
            house_edge=Fraction(r.house_edge),
            bets=int(r.bets),
            stakes=int(r.stakes),
            wins=int(r.wins),
            stake_squares=int(r.stake_squares),
        )
        for r in await conn.execute(text(_groups_sql(scope)), params)
    )
    return RtpData(cells, groups)


async def cashflow_rows(
    conn: AsyncConnection, period: ReportPeriod, scope: ReportScope
) -> list[CashflowRow]:
    await conn.execute(_SNAPSHOT)
    rows = await conn.execute(text(_cashflow_sql(scope)), _scope_params(period, scope))
    return [
        CashflowRow(r.day, r.currency, int(r.deposits), int(r.withdrawals), int(r.active_players))
        for r in rows
    ]


async def outcome_counts(
    conn: AsyncConnection,
    period: ReportPeriod,
    scope: ReportScope,
    bins: Mapping[str, Sequence[int]],
    moduli: Mapping[str, int] | None = None,
) -> dict[str, list[int]]:
    await conn.execute(_SNAPSHOT)
    statement = text(_outcomes_sql(scope))
    mines = text(_mines_sql(scope))
    counts = {}
    for game, edges in bins.items():
        params = _scope_params(period, scope) | {
            "edges": list(edges),
            "outcome_game": game,
            "modulus": (moduli or {}).get(game, 0),  # 0: the outcome itself
        }
        found = [0] * len(edges)
        counted = {"crash": _CRASH_POINTS, "mines": mines}.get(game, statement)
        for row in await conn.execute(counted, params):
            # Below the first bound cannot happen for a valid outcome; count it in the first.
            found[max(int(row.bin), 1) - 1] += int(row.bets)
        counts[game] = found
    return counts
