"""Withdrawal requests in PostgreSQL: one row per request, moved along its state machine (a
trigger refuses an illegal step)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.personal_data import PersonalDataCipher
from adapters.postgres.errors import server_message, sqlstate
from adapters.postgres.personal import destination_place
from domain.errors import IllegalTransition, NotFound
from domain.money import Currency, CurrencyRegistry, Money
from domain.withdrawals import Withdrawal, WithdrawalState

_COLUMNS = (
    "id, player_id, request_id, currency, amount, destination_sealed, state, holds, requested_at,"
    " request_transaction_id, decided_by, approved_at, rejected_at, decision_transaction_id,"
    " settled_by, paid_at, failed_at, settlement_transaction_id, reason, payout_reference,"
    " first_approved_by, first_approved_at, cancelled_at, payout_note, payout_sending_until,"
    " payout_delayed_at"
)
_GET = text(f"SELECT {_COLUMNS} FROM withdrawals WHERE id = :id")  # noqa: S608 - a constant column list  # nosec B608
_GET_FOR_UPDATE = text(f"SELECT {_COLUMNS} FROM withdrawals WHERE id = :id FOR UPDATE")  # noqa: S608 - a constant column list  # nosec B608
_BY_REQUEST = text(
    f"SELECT {_COLUMNS} FROM withdrawals"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE player_id = :player AND request_id = :request"
)
# NO KEY UPDATE: it queues this player's withdrawal requests without blocking the inserts
# that reference the player (bets, ledger rows), which take KEY SHARE.
_LOCK_PLAYER = text("SELECT id FROM players WHERE id = :id FOR NO KEY UPDATE")
_INSERT = text(
    """
    INSERT INTO withdrawals (id, player_id, request_id, currency, amount, destination_sealed,
                             state, holds, requested_at, request_transaction_id)
    VALUES (:id, :player, :request, :currency, :amount, :destination, 'requested',
            :holds, :at, :tx)
    """
)
_SAVE = text(
    """
    UPDATE withdrawals
    SET state = :state, decided_by = :decided_by, approved_at = :approved_at,
        rejected_at = :rejected_at, decision_transaction_id = :decision_tx,
        settled_by = :settled_by, paid_at = :paid_at, failed_at = :failed_at,
        settlement_transaction_id = :settlement_tx, reason = :reason,
        payout_reference = :payout_reference, first_approved_by = :first_approved_by,
        first_approved_at = :first_approved_at, cancelled_at = :cancelled_at,
        payout_note = :payout_note, payout_sending_until = :payout_sending_until,
        payout_delayed_at = :payout_delayed_at
    WHERE id = :id AND state = :previous
    """
)
_REQUESTED_SINCE = text(
    """
    SELECT coalesce(sum(amount), 0) FROM withdrawals
    WHERE player_id = :player AND currency = :currency AND requested_at >= :since
      AND state NOT IN ('rejected', 'failed', 'cancelled')
    """
)
_LIST = text(
    f"SELECT {_COLUMNS} FROM withdrawals"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE (CAST(:state AS text) IS NULL OR state = :state)"
    "   AND (CAST(:after_at AS timestamptz) IS NULL"
    "        OR (requested_at, id) > (CAST(:after_at AS timestamptz), CAST(:after_id AS uuid)))"
    " ORDER BY requested_at, id LIMIT :limit"
)
# ix_withdrawals_player leads with the player: a player's few rows, newest first.
_PENDING_OF = text(
    f"SELECT {_COLUMNS} FROM withdrawals"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE player_id = :player AND state IN ('requested', 'approved')"
    " ORDER BY requested_at DESC, id DESC LIMIT :limit"
)


class SqlWithdrawals:
    def __init__(
        self,
        conn: AsyncConnection,
        currencies: CurrencyRegistry,
        personal: PersonalDataCipher,
    ) -> None:
        self._conn = conn
        self._currencies = currencies
        self._personal = personal

    async def lock_player(self, player_id: int) -> None:
        if (await self._conn.execute(_LOCK_PLAYER, {"id": player_id})).first() is None:
            raise NotFound(f"no player with id {player_id}")

    async def find_by_request(self, player_id: int, request_id: uuid.UUID) -> Withdrawal | None:
        row = (
            await self._conn.execute(_BY_REQUEST, {"player": player_id, "request": request_id})
        ).first()
        return None if row is None else self._withdrawal(row)

    async def add(self, withdrawal: Withdrawal) -> None:
        await self._conn.execute(
            _INSERT,
            {
                "id": withdrawal.id,
                "player": withdrawal.player_id,
                "request": withdrawal.request_id,
                "currency": withdrawal.amount.currency.code,
                "amount": withdrawal.amount.amount,
                "destination": self._personal.seal(
                    withdrawal.destination, destination_place(withdrawal.id)
                ),
                "holds": list(withdrawal.holds),
                "at": withdrawal.requested_at,
                "tx": withdrawal.request_transaction_id,
            },
        )

    async def get(self, withdrawal_id: uuid.UUID, *, for_update: bool = False) -> Withdrawal:
        statement = _GET_FOR_UPDATE if for_update else _GET
        row = (await self._conn.execute(statement, {"id": withdrawal_id})).first()
        if row is None:
            raise NotFound(f"no withdrawal {withdrawal_id}")
        return self._withdrawal(row)

    async def save(self, withdrawal: Withdrawal, previous: WithdrawalState) -> None:
        try:
            result = await self._conn.execute(
                _SAVE,
                {
                    "id": withdrawal.id,
                    "previous": previous.value,
                    "state": withdrawal.state.value,
                    "decided_by": withdrawal.decided_by,
                    "approved_at": withdrawal.approved_at,
                    "rejected_at": withdrawal.rejected_at,
                    "decision_tx": withdrawal.decision_transaction_id,
                    "settled_by": withdrawal.settled_by,
                    "paid_at": withdrawal.paid_at,
                    "failed_at": withdrawal.failed_at,
                    "settlement_tx": withdrawal.settlement_transaction_id,
                    "reason": withdrawal.reason,
                    "payout_reference": withdrawal.payout_reference,
                    "first_approved_by": withdrawal.first_approved_by,
                    "first_approved_at": withdrawal.first_approved_at,
                    "cancelled_at": withdrawal.cancelled_at,
                    "payout_note": withdrawal.payout_note,
                    "payout_sending_until": withdrawal.payout_sending_until,
                    "payout_delayed_at": withdrawal.payout_delayed_at,
                },
            )
        except DBAPIError as error:
            if sqlstate(error) == "CR405":  # the state machine's trigger
                raise IllegalTransition(server_message(error)) from None
            raise
        if result.rowcount != 1:
            raise IllegalTransition(f"withdrawal {withdrawal.id} is no longer {previous}")

    async def requested_since(self, player_id: int, currency: Currency, since: datetime) -> int:
        params = {"player": player_id, "currency": currency.code, "since": since}
        return int((await self._conn.execute(_REQUESTED_SINCE, params)).scalar_one())

    async def list(
        self,
        state: WithdrawalState | None,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Withdrawal]:
        params = {
            "state": state.value if state else None,
            "after_at": after[0] if after else None,
            "after_id": after[1] if after else None,
            "limit": limit,
        }
        return [self._withdrawal(r) for r in await self._conn.execute(_LIST, params)]

    async def pending_of(self, player_id: int, *, limit: int) -> Sequence[Withdrawal]:
        rows = await self._conn.execute(_PENDING_OF, {"player": player_id, "limit": limit})
        return [self._withdrawal(r) for r in rows]

    def _withdrawal(self, row: Any) -> Withdrawal:
        return Withdrawal(
            id=row.id,
            player_id=row.player_id,
            request_id=row.request_id,
            amount=Money(row.amount, self._currencies.get(row.currency)),
            destination=self._personal.open(row.destination_sealed, destination_place(row.id)),
            requested_at=row.requested_at,
            request_transaction_id=row.request_transaction_id,
            state=WithdrawalState(row.state),
            holds=tuple(row.holds),
            decided_by=row.decided_by,
            approved_at=row.approved_at,
            rejected_at=row.rejected_at,
            decision_transaction_id=row.decision_transaction_id,
            settled_by=row.settled_by,
            paid_at=row.paid_at,
            failed_at=row.failed_at,
            settlement_transaction_id=row.settlement_transaction_id,
            reason=row.reason,
            payout_reference=row.payout_reference,
            first_approved_by=row.first_approved_by,
            first_approved_at=row.first_approved_at,
            cancelled_at=row.cancelled_at,
            payout_note=row.payout_note,
            payout_sending_until=row.payout_sending_until,
            payout_delayed_at=row.payout_delayed_at,
        )
