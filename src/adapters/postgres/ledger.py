"""The journal in PostgreSQL: posting is one call of the `ledger_post_many` function, for one
transaction or a batch (revision 0021: set-based, each touched account locked once in id order
and updated once, every leg in one INSERT).

Each posted leg comes back with its account's kind and owner in the same statement, so the
use case's `TransactionPosted` event can tell each player their new balance."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.errors import to_domain_error
from application.ports import HistoryEntry
from domain.accounts import AccountKind
from domain.errors import InvalidRequest, LimitExceeded, NotFound
from domain.ledger import PostedLeg, PostedTransaction, Transaction, TransactionKind
from domain.money import CurrencyRegistry, Money

# numeric_value_out_of_range
_OUT_OF_RANGE = "22003"

# The transactions as parallel arrays, their legs flattened with the (1-based) position of
# their transaction: what asyncpg passes cheapest (no JSON to build or parse).
_POST_MANY = text(
    """
    SELECT p.n, p.transaction_id, p.replayed, p.created_at, p.account_id, p.currency, p.amount,
           p.balance_after, a.kind AS account_kind, a.player_id
    FROM ledger_post_many(
        CAST(:ids AS uuid[]), CAST(:kinds AS text[]), CAST(:keys AS text[]),
        CAST(:fingerprints AS bytea[]), CAST(:references AS text[]),
        CAST(:metadata AS jsonb[]), CAST(:created_at AS timestamptz[]),
        CAST(:leg_of AS integer[]), CAST(:accounts AS bigint[]), CAST(:currencies AS text[]),
        CAST(:amounts AS bigint[])) AS p
    JOIN accounts a ON a.id = p.account_id
    ORDER BY p.n, p.account_id
    """
)
_TRANSACTION = text(
    """
    SELECT t.id, t.kind, t.idempotency_key, t.reference, t.metadata, t.created_at,
           l.account_id, l.currency, l.amount, l.balance_after, a.kind AS account_kind,
           a.player_id
    FROM ledger_transactions t JOIN ledger_legs l ON l.transaction_id = t.id
    JOIN accounts a ON a.id = l.account_id
    WHERE t.id = :id ORDER BY l.account_id
    """
)
_HAS_KEY = text("SELECT EXISTS (SELECT 1 FROM ledger_transactions WHERE idempotency_key = :key)")
_HISTORY = text(
    """
    SELECT l.id AS leg_id, l.transaction_id, t.kind, l.currency, l.amount, l.balance_after,
           t.created_at, t.reference, t.metadata
    FROM ledger_legs l JOIN ledger_transactions t ON t.id = l.transaction_id
    WHERE l.account_id = ANY(CAST(:accounts AS bigint[]))
      AND l.id < :before
    ORDER BY l.id DESC
    LIMIT :limit
    """
)

_NO_CURSOR = 2**63 - 1


def _metadata(transaction: Transaction) -> str:
    return json.dumps(dict(transaction.metadata), sort_keys=True)


class SqlLedger:
    def __init__(self, conn: AsyncConnection, currencies: CurrencyRegistry) -> None:
        self._conn = conn
        self._currencies = currencies

    async def post(self, transaction: Transaction) -> PostedTransaction:
        return (await self.post_all([transaction]))[0]

    async def post_all(self, transactions: Sequence[Transaction]) -> list[PostedTransaction]:
        if not transactions:
            return []
        params = {
            "ids": [t.id for t in transactions],
            "kinds": [t.kind.value for t in transactions],
            "keys": [t.idempotency_key for t in transactions],
            "fingerprints": [t.fingerprint() for t in transactions],
            "references": [t.reference for t in transactions],
            "metadata": [_metadata(t) for t in transactions],
            "created_at": [t.created_at for t in transactions],
            "leg_of": [n for n, t in enumerate(transactions, 1) for _ in t.legs],
            "accounts": [leg.account_id for t in transactions for leg in t.legs],
            "currencies": [leg.currency.code for t in transactions for leg in t.legs],
            "amounts": [leg.amount.amount for t in transactions for leg in t.legs],
        }
        rows = await self._execute(_POST_MANY, params)
        by_transaction: list[list[Any]] = [[] for _ in transactions]
        for row in rows:
            by_transaction[row.n - 1].append(row)
        return [self._posted(t, r) for t, r in zip(transactions, by_transaction, strict=True)]

    async def _execute(self, statement: Any, params: dict[str, Any]) -> Sequence[Any]:
        try:
            return (await self._conn.execute(statement, params)).all()
        except DBAPIError as error:
            domain_error = to_domain_error(error)
            if domain_error is None:
                raise
            raise domain_error from None
        except InvalidRequest as refused:
            # The engine reads numeric_value_out_of_range as bad input; in ledger_post_many
            # every amount is already a capped int64, so it can only be a balance (BIGINT)
            # that would leave the 64-bit range: say so, rather than "a number is out of range".
            if _OUT_OF_RANGE in _sqlstates(refused):
                raise LimitExceeded(
                    "the ledger cannot hold this: an account's balance would leave the 64-bit range"
                ) from None
            raise

    def _posted(self, transaction: Transaction, rows: Sequence[Any]) -> PostedTransaction:
        first = rows[0]
        return PostedTransaction(
            id=first.transaction_id,
            kind=transaction.kind,
            idempotency_key=transaction.idempotency_key,
            legs=tuple(self._leg(r) for r in rows),
            created_at=first.created_at,
            reference=transaction.reference,
            metadata=transaction.metadata,
            replayed=bool(first.replayed),
        )

    def _leg(self, row: Any) -> PostedLeg:
        return PostedLeg(
            account_id=row.account_id,
            amount=Money(row.amount, self._currencies.get(row.currency)),
            balance_after=row.balance_after,
            account_kind=AccountKind(row.account_kind),
            player_id=row.player_id,
        )

    async def get(self, transaction_id: uuid.UUID) -> PostedTransaction:
        rows = (await self._conn.execute(_TRANSACTION, {"id": transaction_id})).all()
        if not rows:
            raise NotFound(f"no transaction with id {transaction_id}")
        first = rows[0]
        return PostedTransaction(
            id=first.id,
            kind=TransactionKind(first.kind),
            idempotency_key=first.idempotency_key,
            legs=tuple(self._leg(r) for r in rows),
            created_at=first.created_at,
            reference=first.reference,
            metadata=dict(first.metadata),
        )

    async def has_key(self, idempotency_key: str) -> bool:
        return bool((await self._conn.execute(_HAS_KEY, {"key": idempotency_key})).scalar_one())

    async def history(
        self, account_ids: Sequence[int], *, before_leg_id: int | None, limit: int
    ) -> Sequence[HistoryEntry]:
        rows = await self._conn.execute(
            _HISTORY,
            {
                "accounts": list(account_ids),
                "before": _NO_CURSOR if before_leg_id is None else before_leg_id,
                "limit": limit,
            },
        )
        return [
            HistoryEntry(
                leg_id=r.leg_id,
                transaction_id=r.transaction_id,
                kind=TransactionKind(r.kind),
                amount=Money(r.amount, self._currencies.get(r.currency)),
                balance_after=r.balance_after,
                created_at=r.created_at,
                reference=r.reference,
                metadata=dict(r.metadata),
            )
            for r in rows
        ]


def _sqlstates(error: BaseException) -> set[str]:
    """The SQLSTATEs along an exception's chain of causes (SQLAlchemy re-raises the driver's
    error as the cause of whatever the engine's error hook raised)."""
    found: set[str] = set()
    seen: BaseException | None = error
    for _ in range(10):  # a chain is a few links; never follow a cycle forever
        if seen is None:
            break
        code = getattr(seen, "sqlstate", None)
        if isinstance(code, str):
            found.add(code)
        seen = seen.__cause__
    return found
