"""Rollback: a debit called off, its stake returned."""

from __future__ import annotations

from application.ports import UnitOfWork
from application.seamless.calls import (
    DoorRequest,
    LostRace,
    ProviderCall,
    SeamlessResult,
    SeamlessRollbackCommand,
)
from domain.errors import NotFound
from domain.money import Money
from domain.seamless import (
    ProviderTransaction,
    ProviderTransactionState,
    validate_external_id,
    validate_player_id,
    validate_provider,
)
from domain.standing import Operation


class SeamlessRollback(ProviderCall):
    """Undo a debit by its transaction id: the whole stake goes back from the bankroll to the
    wallet. A rollback of a debit never seen is recorded (a tombstone, nothing moves) so that
    the debit is refused if it arrives late. Refused with `IllegalTransition` when the debit's
    round was already settled by a credit, or when the id is a credit's. A repeated rollback
    answers like the first one, whatever its own id (the undo is done: nothing moves).

    The rollback's own id (`rollback_id`, when the door names one) is stored on the debit's
    record with the first rollback; given to the rollback of another debit it is an
    `IdempotencyConflict` (checked here, and by a unique index against a concurrent one)."""

    async def __call__(
        self, command: SeamlessRollbackCommand, request: DoorRequest | None = None
    ) -> SeamlessResult:
        validate_provider(command.provider)
        validate_player_id(command.player_id)
        validate_external_id(command.transaction_id, "transaction id")
        validate_external_id(command.round_id, "round id")
        if command.rollback_id is not None:
            validate_external_id(command.rollback_id, "rollback transaction id")
        return await self._retrying(lambda: self._attempt(command, request), command.transaction_id)

    async def _attempt(
        self, command: SeamlessRollbackCommand, request: DoorRequest | None
    ) -> SeamlessResult:
        currency = command.currency
        async with self._uow() as uow:
            repo = uow.provider_transactions
            if command.rollback_id is not None:
                used = await repo.find_rollback(command.provider, command.rollback_id)
                if used is not None:
                    used.require_rollback_id_for(command.transaction_id)
            existing = await repo.find(command.provider, command.transaction_id)
            if existing is not None:
                existing.require_same_rollback(command.player_id, command.round_id, currency)
                if existing.is_rolled_back:
                    return await self._replayed_rollback(uow, existing)
            now = self._clock.now()
            (await uow.players.standing(command.player_id)).require(Operation.SETTLE, now)
            round_ = await repo.lock_round(
                command.provider,
                command.round_id,
                player_id=command.player_id,
                currency=currency,
                now=now,
            )
            round_.require_owner(command.player_id, currency)
            # Under the round's lock nothing else on this round moves; the debit itself is
            # locked too, against a rollback naming another round.
            debit = await repo.find(command.provider, command.transaction_id, for_update=True)
            if debit is None:
                tombstone = ProviderTransaction.tombstone(
                    provider=command.provider,
                    transaction_id=command.transaction_id,
                    player_id=command.player_id,
                    round_id=command.round_id,
                    currency=currency,
                    at=now,
                    rollback_transaction_id=command.rollback_id,
                )
                if not await repo.add(tombstone):
                    raise LostRace
                balance = await self._balance(uow, command.player_id, currency)
                result = SeamlessResult(tombstone.transaction_id, balance, False, None)
                await self._keep(uow, request, result)
                await uow.commit()
                return result
            debit.require_same_rollback(command.player_id, command.round_id, currency)
            if debit.is_rolled_back:
                return await self._replayed_rollback(uow, debit)
            rolled_back = debit.roll_back(
                round_,
                at=now,
                ledger_transaction_id=self._ids.new_id(),
                rollback_transaction_id=command.rollback_id,
            )
            wallet = await uow.accounts.wallet(command.player_id, currency)
            if wallet is None:  # pragma: no cover - a debit always has the wallet it came from
                raise NotFound(f"player {command.player_id} has no {currency.code} wallet")
            await repo.save(rolled_back)
            bankroll = await self._bankroll(uow, command.player_id, currency)
            posted = await self._post(uow, rolled_back.refund(wallet.id, bankroll))
            balance = Money(posted.leg_for(wallet.id).balance_after, currency)
            result = SeamlessResult(rolled_back.transaction_id, balance, False, posted.id)
            await self._keep(uow, request, result)
            await uow.commit()
        return result

    async def _replayed_rollback(
        self, uow: UnitOfWork, record: ProviderTransaction
    ) -> SeamlessResult:
        assert record.state in (
            ProviderTransactionState.ROLLED_BACK,
            ProviderTransactionState.CANCELLED,
        )
        balance = await self._balance(uow, record.player_id, record.currency)
        return self._replay(record, balance, record.rollback_ledger_transaction_id)
