"""The promotion reports' read model in PostgreSQL: the bets' revenue (the GGR report's own
query) and the ledger's promotion postings, in one READ ONLY, REPEATABLE READ snapshot.

Only the journal is read, so the report holds whatever tables the programmes keep: a posting
is classified by its kind and by the account its money went to (a `grant` into a
`player_bonus` account is bonus granted, into a `player_wallet` it is cash paid), its
programme and budget come from its metadata, and a conversion or forfeit that names no
budget takes its bonus's grant's (found by the grant's idempotency key,
`bonus:{id}:grant`, which the unique index serves)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.postgres.reports import ggr_rows
from application.ports import PromotionData
from domain.promotion_reports import Movement, PromotionFlow
from domain.reports import ReportPeriod, ReportScope


def _flows_sql(scope: ReportScope) -> str:
    narrowed = " AND l.currency = :currency" if scope.currency is not None else ""
    return f"""
    WITH moves AS (
        SELECT t.id, t.kind, t.created_at, t.metadata, min(l.currency) AS currency,
               sum(l.amount) FILTER (WHERE l.amount > 0) AS amount,
               coalesce(bool_or(a.kind = 'player_bonus' AND l.amount > 0), false) AS into_bonus
        FROM ledger_transactions t
        JOIN ledger_legs l ON l.transaction_id = t.id
        JOIN accounts a ON a.id = l.account_id
        WHERE t.kind IN ('grant', 'conversion', 'forfeit')
          AND t.created_at >= :start AND t.created_at < :end{narrowed}
        GROUP BY t.id, t.kind, t.created_at, t.metadata
    )
    SELECT (m.created_at AT TIME ZONE 'UTC')::date AS day, m.currency,
           coalesce(m.metadata->>'budget', g.metadata->>'budget', '') AS budget,
           coalesce(m.metadata->>'programme', g.metadata->>'programme', 'bonus') AS programme,
           CASE m.kind WHEN 'conversion' THEN 'converted' WHEN 'forfeit' THEN 'forfeited'
                ELSE CASE WHEN m.into_bonus THEN 'granted' ELSE 'paid' END END AS movement,
           count(*) AS postings, sum(m.amount) AS amount
    FROM moves m
    LEFT JOIN ledger_transactions g
           ON m.kind <> 'grant'
          AND g.idempotency_key = 'bonus:' || (m.metadata->>'bonus_id') || '\\:grant'
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    """  # noqa: S608 - a constant fragment  # nosec B608


class SqlPromotionReports:
    """`application.ports.PromotionReportReads` on PostgreSQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def promotion_data(self, period: ReportPeriod, scope: ReportScope) -> PromotionData:
        async with self._engine.connect() as conn:
            return await promotion_data(conn, period, scope)


async def promotion_data(
    conn: AsyncConnection, period: ReportPeriod, scope: ReportScope
) -> PromotionData:
    """Both reads in the transaction `ggr_rows` opens with its snapshot."""
    scope = ReportScope(scope.currency, None)
    revenue = await ggr_rows(conn, period, scope)
    params = {"start": period.start, "end": period.end, "currency": scope.currency}
    rows = await conn.execute(text(_flows_sql(scope)), params)
    flows = tuple(
        PromotionFlow(
            r.day,
            r.currency,
            r.budget,
            r.programme,
            Movement(r.movement),
            int(r.postings),
            int(r.amount),
        )
        for r in rows
    )
    return PromotionData(tuple(revenue), flows)
