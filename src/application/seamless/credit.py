"""Credit: a win paid from the house bankroll to the player's wallet."""

from __future__ import annotations

from application.access import count_against_daily_cap, count_against_free_round_budget
from application.seamless.calls import (
    DoorRequest,
    ProviderCall,
    SeamlessCreditCommand,
    SeamlessResult,
    check_movement,
)
from domain.money import Money
from domain.seamless import (
    ProviderTransactionKind,
    require_credit_amount,
    require_credit_covered,
)
from domain.standing import Operation


class SeamlessCredit(ProviderCall):
    """Pay a win from the house bankroll to the player's wallet (opening the wallet if it is
    the player's first money in that currency) and close the round. A zero credit moves
    nothing but is recorded, and closes the round all the same. A credit on a round that
    another credit already closed is an `IllegalTransition`; so is a credit (above zero) on a
    round without a debit still standing (never debited, or rolled back), and one paying more
    than `MAX_CREDIT_MULTIPLE` times the round's debits is `LimitExceeded`
    (`domain.seamless.require_credit_covered`). A credit above its key's cap, or past its
    daily cap, is `KeyNotAllowed`. A credit declared a free round needs no debit (and is
    refused on a round that had one), and pays within its key's free-round budget per
    currency and UTC day (`KeyNotAllowed` past it, or without one).
    A repeat of a credit answers as the first did, before any of these checks."""

    async def __call__(
        self, command: SeamlessCreditCommand, request: DoorRequest | None = None
    ) -> SeamlessResult:
        check_movement(
            command.provider,
            command.player_id,
            command.transaction_id,
            command.round_id,
            command.game_id,
        )
        require_credit_amount(command.amount)
        return await self._retrying(lambda: self._attempt(command, request), command.transaction_id)

    async def _attempt(
        self, command: SeamlessCreditCommand, request: DoorRequest | None
    ) -> SeamlessResult:
        currency = command.amount.currency
        async with self._uow() as uow:
            repo = uow.provider_transactions
            replayed = await self._replayed_movement(uow, ProviderTransactionKind.CREDIT, command)
            if replayed is not None:
                return replayed
            if command.caller is not None:
                command.caller.require_within_cap(command.amount)
            now = self._clock.now()
            # Never refused (a win on a round already played), but asked all the same: the
            # standing's table, not this use case, says what a standing allows.
            (await uow.players.standing(command.player_id)).require(Operation.SETTLE, now)
            wallet = await uow.accounts.open_wallet(command.player_id, currency)
            round_ = await self._lock_round(uow, command, now)
            round_.require_open(command.transaction_id, "credit")
            require_credit_covered(
                command.round_id,
                await repo.round_debits(command.provider, command.round_id),
                command.amount,
                free_round=command.free_round,
            )
            closed = round_.close(command.transaction_id, at=now)
            record = await self._claim(uow, ProviderTransactionKind.CREDIT, command, now)
            await repo.close_round(closed)
            bankroll = await self._bankroll(uow, command.player_id, currency)
            movement = record.movement(wallet.id, bankroll)
            if movement is None:  # a zero credit: recorded, nothing moves
                balance = await self._balance(uow, command.player_id, currency)
            else:
                posted = await self._post(uow, movement)
                if command.caller is not None:
                    await count_against_daily_cap(uow, command.caller, command.amount, now)
                if command.free_round:
                    await count_against_free_round_budget(uow, command.caller, command.amount, now)
                balance = Money(posted.leg_for(wallet.id).balance_after, currency)
            result = SeamlessResult(
                record.transaction_id, balance, False, record.ledger_transaction_id
            )
            await self._keep(uow, request, result)
            await uow.commit()
        return result
