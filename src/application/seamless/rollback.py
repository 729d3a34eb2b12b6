"""Rollback: a debit called off, its stake returned."""

from __future__ import annotations

from application.ports import UnitOfWork
from application.seamless.calls import (
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
    answers like the first one."""

    async def __call__(self, command: SeamlessRollbackCommand) -> SeamlessResult:
        validate_provider(command.provider)
        validate_player_id(command.player_id)
        validate_external_id(command.transaction_id, "transaction id")
        validate_external_id(command.round_id, "round id")
        return await self._retrying(lambda: self._attempt(command), command.transaction_id)

    async def _attempt(self, command: SeamlessRollbackCommand) -> SeamlessResult:
        currency = command.currency
        async with self._uow() as uow:
            repo = uow.provider_transactions
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
                )
                if not await repo.add(tombstone):
                    raise LostRace
                balance = await self._balance(uow, command.player_id, currency)
                await uow.commit()
                return SeamlessResult(tombstone.transaction_id, balance, False, None)
            debit.require_same_rollback(command.player_id, command.round_id, currency)
            if debit.is_rolled_back:
                return await self._replayed_rollback(uow, debit)
            rolled_back = debit.roll_back(round_, at=now, ledger_transaction_id=self._ids.new_id())
            wallet = await uow.accounts.wallet(command.player_id, currency)
            if wallet is None:  # pragma: no cover - a debit always has the wallet it came from
                raise NotFound(f"player {command.player_id} has no {currency.code} wallet")
            await repo.save(rolled_back)
            bankroll = await self._bankroll(uow, command.player_id, currency)
            posted = await self._post(uow, rolled_back.refund(wallet.id, bankroll))
            await uow.commit()
        balance = Money(posted.leg_for(wallet.id).balance_after, currency)
        return SeamlessResult(rolled_back.transaction_id, balance, False, posted.id)

    async def _replayed_rollback(
        self, uow: UnitOfWork, record: ProviderTransaction
    ) -> SeamlessResult:
        assert record.state in (
            ProviderTransactionState.ROLLED_BACK,
            ProviderTransactionState.CANCELLED,
        )
        balance = await self._balance(uow, record.player_id, record.currency)
        return self._replay(record, balance, record.rollback_ledger_transaction_id)
