"""Referrals in PostgreSQL: referred players' activity, and the commissions settled for it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import IdempotencyConflict
from domain.referrals import CommissionSettlement, ReferredActivity

# Per referred player and currency: settled bets (won or lost: a voided bet returned its
# stake and is no revenue, as in the GGR report) and deposits into the wallet in the window,
# and the payment identities the player shares with their referrer (same kind and digest).
_ACTIVITY = """
WITH referred AS (
    SELECT player_id AS referred_id, referred_by AS referrer_id
    FROM player_preferences
    WHERE referred_by IS NOT NULL AND (CAST(:referrer AS bigint) IS NULL
                                       OR referred_by = CAST(:referrer AS bigint))
),
played AS (
    SELECT b.player_id, b.currency, sum(b.stake) AS stakes, sum(b.payout) AS payouts
    FROM bets b JOIN referred r ON r.referred_id = b.player_id
    WHERE b.state IN ('won', 'lost') AND b.settled_at >= :start AND b.settled_at < :end
    GROUP BY 1, 2
),
deposited AS (
    SELECT a.player_id, l.currency, sum(l.amount) AS deposits
    FROM ledger_transactions t
    JOIN ledger_legs l ON l.transaction_id = t.id
    JOIN accounts a ON a.id = l.account_id AND a.kind = 'player_wallet'
    JOIN referred r ON r.referred_id = a.player_id
    WHERE t.kind = 'deposit' AND t.created_at >= :start AND t.created_at < :end
    GROUP BY 1, 2
),
activity AS (
    SELECT coalesce(p.player_id, d.player_id) AS referred_id,
           coalesce(p.currency, d.currency) AS currency,
           coalesce(p.stakes, 0) AS stakes, coalesce(p.payouts, 0) AS payouts,
           coalesce(d.deposits, 0) AS deposits
    FROM played p FULL JOIN deposited d ON d.player_id = p.player_id
                                        AND d.currency = p.currency
)
SELECT r.referrer_id, a.referred_id, a.currency, a.stakes, a.payouts, a.deposits,
       ARRAY(SELECT DISTINCT mine.hash
             FROM payment_identities mine
             JOIN payment_identities theirs ON theirs.kind = mine.kind
                                           AND theirs.hash = mine.hash
             WHERE mine.player_id = a.referred_id AND theirs.player_id = r.referrer_id
             ORDER BY 1) AS shared
FROM activity a JOIN referred r USING (referred_id)
WHERE NOT (CAST(:unsettled AS boolean) AND EXISTS (
    SELECT 1 FROM referral_commissions c
    WHERE c.referrer_id = r.referrer_id AND c.period_start = :start
      AND c.currency = a.currency))
ORDER BY r.referrer_id, a.currency, a.referred_id
"""

# Claims of one referrer take turns (a transaction-scoped advisory lock in a key space of
# its own); the settled row is then read in a statement that starts after the lock was
# granted, so it sees a settlement the previous holder committed.
_CLAIM_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended('referral:' || :r, 0))")
_SETTLED = text(
    "SELECT 1 FROM referral_commissions"
    " WHERE referrer_id = :r AND period_start = :start AND currency = :c"
)
_RECORD = text(
    """
INSERT INTO referral_commissions (referrer_id, period_start, period_end, currency, basis,
    base, share_bps, uncapped, cap, amount, outcome, referred, excluded, transaction_id,
    settled_at)
VALUES (:referrer, :start, :end, :currency, :basis, :base, :share, :uncapped, :cap, :amount,
    :outcome, :referred, CAST(:excluded AS jsonb), :tx, :at)
"""
)


def _activity(row: Any) -> ReferredActivity:
    return ReferredActivity(
        referrer_id=row.referrer_id,
        referred_id=row.referred_id,
        currency=row.currency,
        stakes=int(row.stakes),
        payouts=int(row.payouts),
        deposits=int(row.deposits),
        shared_identities=tuple(row.shared),
    )


class SqlReferrals:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def activity(
        self,
        start: datetime,
        end: datetime,
        *,
        referrer_id: int | None = None,
        unsettled_only: bool = False,
    ) -> Sequence[ReferredActivity]:
        rows = await self._conn.execute(
            text(_ACTIVITY),
            {"start": start, "end": end, "referrer": referrer_id, "unsettled": unsettled_only},
        )
        return [_activity(row) for row in rows]

    async def claim(self, referrer_id: int, period_start: datetime, currency: str) -> bool:
        await self._conn.execute(_CLAIM_LOCK, {"r": str(referrer_id)})
        found = await self._conn.execute(
            _SETTLED, {"r": referrer_id, "start": period_start, "c": currency}
        )
        return found.first() is None

    async def record(self, settlement: CommissionSettlement) -> None:
        c = settlement.commission
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    _RECORD,
                    {
                        "referrer": c.referrer_id,
                        "start": settlement.window.start,
                        "end": settlement.window.end,
                        "currency": c.currency,
                        "basis": c.basis.value,
                        "base": c.base,
                        "share": c.share_bps,
                        "uncapped": c.uncapped,
                        "cap": c.cap,
                        "amount": settlement.amount,
                        "outcome": settlement.outcome.value,
                        "referred": list(c.counted),
                        "excluded": json.dumps(
                            {str(p): why.value for p, why in sorted(c.excluded.items())}
                        ),
                        "tx": settlement.transaction_id,
                        "at": settlement.settled_at,
                    },
                )
        except IntegrityError as error:
            raise IdempotencyConflict(
                f"referral commission of player {c.referrer_id} for the period from "
                f"{settlement.window.start:%Y-%m-%d} in {c.currency} is settled already"
            ) from error

    async def referred_count(self, referrer_id: int) -> int:
        value = (
            await self._conn.execute(
                text("SELECT count(*) FROM player_preferences WHERE referred_by = :r"),
                {"r": referrer_id},
            )
        ).scalar()
        return int(value or 0)

    async def paid(self, referrer_id: int, since: datetime | None = None) -> Mapping[str, int]:
        rows = await self._conn.execute(
            text(
                "SELECT currency, sum(amount) AS amount FROM referral_commissions"
                " WHERE referrer_id = :r AND outcome = 'paid'"
                " AND (CAST(:since AS timestamptz) IS NULL OR period_start >= :since)"
                " GROUP BY currency ORDER BY currency"
            ),
            {"r": referrer_id, "since": since},
        )
        return {row.currency: int(row.amount) for row in rows}
