"""The seamless wallet in PostgreSQL: one row per provider transaction id, one per round.

Claiming a transaction id is `INSERT ... ON CONFLICT DO NOTHING` on its primary key, so a
concurrent twin waits for the first writer and then sees its row; a round is locked with
`SELECT ... FOR UPDATE` (created first if new), which serialises every call on one round."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.errors import server_message, sqlstate, to_domain_error
from domain.errors import IdempotencyConflict, IllegalTransition, InvalidRequest, NotFound
from domain.money import Currency, CurrencyRegistry
from domain.seamless import (
    ProviderTransaction,
    ProviderTransactionKind,
    ProviderTransactionState,
    SeamlessRound,
)

_COLUMNS = """provider, transaction_id, kind, state, player_id, round_id, currency, amount,
    game_id, created_at, ledger_transaction_id, rolled_back_at, rollback_ledger_transaction_id,
    rollback_transaction_id"""

_INSERT = text(
    f"""
    INSERT INTO provider_transactions ({_COLUMNS})
    VALUES (:provider, :transaction_id, :kind, :state, :player_id, :round_id, :currency,
        :amount, :game_id, :created_at, :ledger_transaction_id, :rolled_back_at,
        :rollback_ledger_transaction_id, :rollback_transaction_id)
    ON CONFLICT ON CONSTRAINT pk_provider_transactions DO NOTHING
    RETURNING transaction_id
    """  # noqa: S608 - a constant column list  # nosec B608
)
_SELECT = text(
    f"SELECT {_COLUMNS} FROM provider_transactions"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE provider = :provider AND transaction_id = :transaction_id"
)
_SELECT_FOR_UPDATE = text(
    f"SELECT {_COLUMNS} FROM provider_transactions"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE provider = :provider AND transaction_id = :transaction_id FOR UPDATE"
)
_SELECT_ROLLBACK = text(
    f"SELECT {_COLUMNS} FROM provider_transactions"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE provider = :provider AND rollback_transaction_id = :rollback_transaction_id"
)
_ROUND_DEBITS = text(
    f"SELECT {_COLUMNS} FROM provider_transactions"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE provider = :provider AND round_id = :round_id AND kind = 'debit'"
)
_ROLL_BACK = text(
    """
    UPDATE provider_transactions SET state = :state, rolled_back_at = :rolled_back_at,
        rollback_ledger_transaction_id = :rollback_ledger_transaction_id,
        rollback_transaction_id = :rollback_transaction_id
    WHERE provider = :provider AND transaction_id = :transaction_id AND state = 'debited'
    RETURNING transaction_id
    """
)

_ROUND_COLUMNS = "provider, round_id, player_id, currency, opened_at, closed_at, closed_by"
_LOCK_ROUND = text(
    f"SELECT {_ROUND_COLUMNS} FROM seamless_rounds"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE provider = :provider AND round_id = :round_id FOR UPDATE"
)
# A row this transaction inserts is invisible to, and blocks, every other writer of that key
# until it commits: as good as locked. No conflict target: a twin may collide on either unique
# index (the primary key or the owner key that provider_transactions refers to), and any
# collision means the round exists.
_OPEN_ROUND = text(
    f"""
    INSERT INTO seamless_rounds (provider, round_id, player_id, currency, opened_at)
    VALUES (:provider, :round_id, :player_id, :currency, :opened_at)
    ON CONFLICT DO NOTHING
    RETURNING {_ROUND_COLUMNS}
    """  # noqa: S608 - a constant column list  # nosec B608
)
_CLOSE_ROUND = text(
    """
    UPDATE seamless_rounds SET closed_at = :closed_at, closed_by = :closed_by
    WHERE provider = :provider AND round_id = :round_id AND closed_at IS NULL
    RETURNING round_id
    """
)


class SqlProviderTransactions:
    def __init__(self, conn: AsyncConnection, currencies: CurrencyRegistry) -> None:
        self._conn = conn
        self._currencies = currencies

    async def find(
        self, provider: str, transaction_id: str, *, for_update: bool = False
    ) -> ProviderTransaction | None:
        query = _SELECT_FOR_UPDATE if for_update else _SELECT
        params = {"provider": provider, "transaction_id": transaction_id}
        row = (await self._conn.execute(query, params)).first()
        return None if row is None else self._transaction(row)

    async def find_rollback(
        self, provider: str, rollback_transaction_id: str
    ) -> ProviderTransaction | None:
        params = {"provider": provider, "rollback_transaction_id": rollback_transaction_id}
        row = (await self._conn.execute(_SELECT_ROLLBACK, params)).first()
        return None if row is None else self._transaction(row)

    async def round_debits(self, provider: str, round_id: str) -> Sequence[ProviderTransaction]:
        rows = await self._conn.execute(_ROUND_DEBITS, {"provider": provider, "round_id": round_id})
        return [self._transaction(row) for row in rows]

    async def add(self, transaction: ProviderTransaction) -> bool:
        row = await self._execute(_INSERT, _row(transaction))
        return row is not None

    async def save(self, transaction: ProviderTransaction) -> None:
        if transaction.state is not ProviderTransactionState.ROLLED_BACK:
            raise IllegalTransition(
                f"a provider transaction only changes by being rolled back, not to "
                f"{transaction.state}"
            )
        row = await self._execute(_ROLL_BACK, _row(transaction))
        if row is None:
            raise IllegalTransition(
                f"debit {transaction.transaction_id} of {transaction.provider} is not debited"
            )

    async def lock_round(
        self,
        provider: str,
        round_id: str,
        *,
        player_id: int,
        currency: Currency,
        now: datetime,
    ) -> SeamlessRound:
        key = {"provider": provider, "round_id": round_id}
        row = (await self._conn.execute(_LOCK_ROUND, key)).first()
        if row is None:
            values = {**key, "player_id": player_id, "currency": currency.code, "opened_at": now}
            row = await self._execute(_OPEN_ROUND, values)
        if row is None:  # a concurrent call opened it first and has committed by now
            row = (await self._conn.execute(_LOCK_ROUND, key)).first()
        if row is None:  # pragma: no cover - rounds are never deleted (a trigger refuses)
            raise NotFound(f"round {round_id} of {provider} vanished")
        return self._round(row)

    async def close_round(self, round_: SeamlessRound) -> None:
        if round_.closed_at is None or round_.closed_by is None:
            raise IllegalTransition(f"round {round_.round_id} is not being closed")
        values = {
            "provider": round_.provider,
            "round_id": round_.round_id,
            "closed_at": round_.closed_at,
            "closed_by": round_.closed_by,
        }
        if await self._execute(_CLOSE_ROUND, values) is None:
            raise IllegalTransition(f"round {round_.round_id} of {round_.provider} is closed")

    async def _execute(self, statement: Any, values: dict[str, Any]) -> Any:
        try:
            return (await self._conn.execute(statement, values)).first()
        except DBAPIError as error:
            raise _translate(error) from None

    def _transaction(self, row: Any) -> ProviderTransaction:
        return ProviderTransaction(
            provider=row.provider,
            transaction_id=row.transaction_id,
            kind=ProviderTransactionKind(row.kind),
            state=ProviderTransactionState(row.state),
            player_id=row.player_id,
            round_id=row.round_id,
            currency=self._currencies.get(row.currency),
            amount=row.amount,
            created_at=row.created_at,
            game_id=row.game_id,
            ledger_transaction_id=row.ledger_transaction_id,
            rolled_back_at=row.rolled_back_at,
            rollback_ledger_transaction_id=row.rollback_ledger_transaction_id,
            rollback_transaction_id=row.rollback_transaction_id,
        )

    def _round(self, row: Any) -> SeamlessRound:
        return SeamlessRound(
            provider=row.provider,
            round_id=row.round_id,
            player_id=row.player_id,
            currency=self._currencies.get(row.currency),
            opened_at=row.opened_at,
            closed_at=row.closed_at,
            closed_by=row.closed_by,
        )


def _row(transaction: ProviderTransaction) -> dict[str, Any]:
    return {
        "provider": transaction.provider,
        "transaction_id": transaction.transaction_id,
        "kind": transaction.kind.value,
        "state": transaction.state.value,
        "player_id": transaction.player_id,
        "round_id": transaction.round_id,
        "currency": transaction.currency.code,
        "amount": transaction.amount,
        "game_id": transaction.game_id,
        "created_at": transaction.created_at,
        "ledger_transaction_id": transaction.ledger_transaction_id,
        "rolled_back_at": transaction.rolled_back_at,
        "rollback_ledger_transaction_id": transaction.rollback_ledger_transaction_id,
        "rollback_transaction_id": transaction.rollback_transaction_id,
    }


def _translate(error: DBAPIError) -> Exception:
    code = sqlstate(error)
    if isinstance(error, IntegrityError):
        message = server_message(error)
        if code == "23505":
            return IdempotencyConflict(f"a seamless record conflicts with another: {message}")
        if code == "23503":
            if "fk_provider_transactions_round" in message:
                return IdempotencyConflict(
                    f"the round belongs to another player or currency: {message}"
                )
            return NotFound(f"a seamless record refers to something missing: {message}")
        if code == "23514":  # not a balance: the generic mapping would say insufficient funds
            return InvalidRequest(f"the database refused a seamless record: {message}")
    return to_domain_error(error) or error
