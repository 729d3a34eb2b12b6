"""Risk flags, payment identities and the risk rules' read queries in PostgreSQL.

At most one open flag per player and kind is the partial unique index
`uq_risk_flags_open`; an insert that meets it does nothing (and waits for a concurrent
writer of the same flag first). Recordings of one payment identity take a transaction-scoped
advisory lock on it, so two accounts recording it at once are serialised and the second sees
the first."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.personal_data import PersonalDataCipher
from adapters.postgres.personal import identity_digest
from application.ports import RiskFlagQuery
from domain.errors import IllegalTransition, NotFound
from domain.money import Currency
from domain.risk import (
    BetCell,
    Funding,
    PaymentIdentityKind,
    RiskFlag,
    RiskFlagKind,
    RiskFlagStatus,
)

_COLUMNS = "id, player_id, kind, status, evidence, raised_at, reviewed_by, reviewed_at, review_note"
_ADD = text(
    f"""
    INSERT INTO risk_flags (player_id, kind, status, evidence, raised_at)
    VALUES (:player, :kind, 'open', CAST(:evidence AS jsonb), :at)
    ON CONFLICT (player_id, kind) WHERE status = 'open' DO NOTHING
    RETURNING {_COLUMNS}
    """  # noqa: S608 - a constant column list  # nosec B608
)
_GET = text(f"SELECT {_COLUMNS} FROM risk_flags WHERE id = :id")  # noqa: S608 - a constant column list  # nosec B608
_GET_FOR_UPDATE = text(f"SELECT {_COLUMNS} FROM risk_flags WHERE id = :id FOR UPDATE")  # noqa: S608 - a constant column list  # nosec B608
_SAVE = text(
    "UPDATE risk_flags SET status = :status, reviewed_by = :by, reviewed_at = :at,"
    " review_note = :note WHERE id = :id AND status = 'open'"
)
_LIST = text(
    f"SELECT {_COLUMNS} FROM risk_flags"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE (CAST(:status AS text) IS NULL OR status = :status)"
    " AND (CAST(:player AS bigint) IS NULL OR player_id = :player)"
    " AND (CAST(:kind AS text) IS NULL OR kind = :kind)"
    " AND (CAST(:before AS bigint) IS NULL OR id < :before)"
    " ORDER BY id DESC LIMIT :limit"
)
_HAS_OPEN = text(
    "SELECT EXISTS (SELECT 1 FROM risk_flags WHERE player_id = :player AND status = 'open')"
)
# Keyed by the identity's own digest: the first 15 hex digits fit a bigint.
_LOCK_IDENTITY = text("SELECT pg_advisory_xact_lock(:key)")
_ADD_IDENTITY = text(
    "INSERT INTO payment_identities (kind, hash, player_id, first_seen_at)"
    " VALUES (:kind, :hash, :player, :now)"
    " ON CONFLICT ON CONSTRAINT uq_payment_identities DO NOTHING"
)
_HOLDERS = text(
    "SELECT player_id FROM payment_identities WHERE kind = :kind AND hash = :hash"
    " ORDER BY player_id"
)
_CELLS = text(
    """
    SELECT b.player_id, b.currency, b.game, b.params, b.house_edge, b.stake,
           cardinality(m.revealed) AS steps, count(*) AS bets, sum(b.payout) AS payouts
    FROM bets b
    LEFT JOIN mines_games m ON b.game = 'mines' AND m.id = b.id
    WHERE b.state IN ('won', 'lost') AND b.settled_at >= :since AND b.settled_at < :until
      AND (CAST(:player AS bigint) IS NULL OR b.player_id = :player)
    GROUP BY b.player_id, b.currency, b.game, b.params, b.house_edge, b.stake,
             cardinality(m.revealed)
    ORDER BY b.player_id, b.currency
    """
)
# Deposits: the deposit legs on the player's wallet; stakes from the first of them on.
_FUNDING = text(
    """
    WITH deposits AS (
        SELECT coalesce(sum(l.amount), 0) AS deposited,
               min(t.created_at) AS first_at, max(t.created_at) AS last_at
        FROM accounts a
        JOIN ledger_legs l ON l.account_id = a.id
        JOIN ledger_transactions t ON t.id = l.transaction_id
        WHERE a.player_id = :player AND a.currency = :currency AND a.kind = 'player_wallet'
          AND t.kind = 'deposit' AND t.created_at >= :since
    )
    SELECT d.deposited, d.first_at, d.last_at,
        (SELECT coalesce(sum(b.stake), 0) FROM bets b
         WHERE b.player_id = :player AND b.currency = :currency
           AND b.placed_at >= d.first_at AND b.state <> 'voided')
        + (SELECT coalesce(sum(p.amount), 0) FROM provider_transactions p
           WHERE p.player_id = :player AND p.currency = :currency
             AND p.created_at >= d.first_at AND p.kind = 'debit' AND p.state = 'debited')
        -- A duel's stake is a bet (docs/duels.md), counted as the limits count it
        -- (adapters/postgres/responsible.py): none once refunded.
        + (SELECT coalesce(sum(u.stake), 0) FROM duels u
           WHERE u.currency = :currency AND u.created_at >= d.first_at
             AND ((u.challenger_id = :player
                   AND u.state NOT IN ('declined', 'expired', 'refunded'))
                  OR (u.challenged_id = :player
                      AND u.state IN ('accepted', 'rolling', 'settled'))))
        AS wagered
    FROM deposits d
    """
)


def _flag(row: Any) -> RiskFlag:
    evidence = row.evidence if isinstance(row.evidence, dict) else json.loads(row.evidence)
    return RiskFlag(
        id=row.id,
        player_id=row.player_id,
        kind=RiskFlagKind(row.kind),
        status=RiskFlagStatus(row.status),
        evidence=evidence,
        raised_at=row.raised_at,
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        note=row.review_note,
    )


def _params(value: Any) -> dict[str, str]:
    loaded = value if isinstance(value, dict) else json.loads(value)
    return {str(k): str(v) for k, v in loaded.items()}


class SqlRisk:
    def __init__(self, conn: AsyncConnection, personal: PersonalDataCipher) -> None:
        self._conn = conn
        self._personal = personal

    async def add_flag(self, flag: RiskFlag) -> RiskFlag | None:
        row = (
            await self._conn.execute(
                _ADD,
                {
                    "player": flag.player_id,
                    "kind": flag.kind.value,
                    "evidence": json.dumps(dict(flag.evidence), default=str),
                    "at": flag.raised_at,
                },
            )
        ).first()
        if row is None:
            return None
        return _flag(row)

    async def get(self, flag_id: int, *, for_update: bool = False) -> RiskFlag:
        if not 0 < flag_id < 2**63:  # no such row; the driver would fail on the bigint
            raise NotFound(f"there is no risk flag {flag_id}")
        statement = _GET_FOR_UPDATE if for_update else _GET
        row = (await self._conn.execute(statement, {"id": flag_id})).first()
        if row is None:
            raise NotFound(f"there is no risk flag {flag_id}")
        return _flag(row)

    async def save(self, flag: RiskFlag) -> None:
        result = await self._conn.execute(
            _SAVE,
            {
                "status": flag.status.value,
                "by": flag.reviewed_by,
                "at": flag.reviewed_at,
                "note": flag.note,
                "id": flag.id,
            },
        )
        if result.rowcount != 1:
            raise IllegalTransition(f"risk flag {flag.id} is no longer open")

    async def list(self, query: RiskFlagQuery) -> Sequence[RiskFlag]:
        rows = await self._conn.execute(
            _LIST,
            {
                "status": query.status.value if query.status else None,
                "player": query.player_id,
                "kind": query.kind.value if query.kind else None,
                "before": query.before_id,
                "limit": query.limit,
            },
        )
        return [_flag(r) for r in rows]

    async def has_open(self, player_id: int) -> bool:
        return bool((await self._conn.execute(_HAS_OPEN, {"player": player_id})).scalar_one())

    async def add_identity(
        self, kind: PaymentIdentityKind, identity: str, player_id: int, now: datetime
    ) -> tuple[str, Sequence[int]]:
        digest = identity_digest(self._personal, identity)
        await self._conn.execute(_LOCK_IDENTITY, {"key": int(digest[:15], 16)})
        params = {"kind": kind.value, "hash": digest, "player": player_id, "now": now}
        await self._conn.execute(_ADD_IDENTITY, params)
        holders = [int(r.player_id) for r in await self._conn.execute(_HOLDERS, params)]
        return digest, holders

    async def bet_cells(
        self, since: datetime, until: datetime, player_id: int | None = None
    ) -> Sequence[BetCell]:
        rows = await self._conn.execute(
            _CELLS, {"since": since, "until": until, "player": player_id}
        )
        return [
            BetCell(
                player_id=r.player_id,
                currency=r.currency,
                game=r.game,
                params=_params(r.params),
                house_edge=Fraction(r.house_edge),
                stake=int(r.stake),
                bets=int(r.bets),
                payouts=int(r.payouts),
                steps=None if r.steps is None else int(r.steps),
            )
            for r in rows
        ]

    async def funding(self, player_id: int, currency: Currency, since: datetime) -> Funding:
        row = (
            await self._conn.execute(
                _FUNDING, {"player": player_id, "currency": currency.code, "since": since}
            )
        ).one()
        return Funding(
            currency=currency.code,
            deposited=int(row.deposited),
            wagered=int(row.wagered or 0),
            first_deposit_at=row.first_at,
            last_deposit_at=row.last_at,
        )
