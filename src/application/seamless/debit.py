"""Debit: a stake from the player's wallet to the house bankroll, checked like any bet."""

from __future__ import annotations

from application.house import HouseBook
from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from application.responsible import ALWAYS_GUARDED, ResponsibleGamblingGuard
from application.seamless.calls import (
    DoorRequest,
    LostRace,
    ProviderCall,
    SeamlessDebitCommand,
    SeamlessResult,
    check_movement,
)
from application.velocity import NO_VELOCITY_LIMITS, VelocityPolicy
from domain.errors import NotFound
from domain.money import Money
from domain.responsible import ResponsibleGamblingRefusal
from domain.seamless import ProviderTransactionKind, require_debit_amount
from domain.standing import StandingRefusal
from domain.velocity import VelocityAction


class SeamlessDebit(ProviderCall):
    """Take a stake from the player's wallet to the house bankroll. Refused with
    `InsufficientFunds` (nothing written) when the wallet cannot pay, with `IllegalTransition`
    when the round is closed or the id was already rolled back, and with `NotFound` when the
    player or their wallet in that currency does not exist.

    A debit is a bet: an internal game service's stakes obey the same standing (blocked:
    `PlayerBlocked`; without the terms: `TermsNotAccepted`), responsible-gambling exclusions,
    limits and reality checks as any other bet (`ResponsibleGamblingRefusal`; nothing
    written), and the same bets-per-second velocity limit. Credits and rollbacks are
    never refused for those reasons: they only return or pay money on a round already
    played, so an excluded player's open rounds settle as they stand."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        *,
        guard: ResponsibleGamblingGuard = ALWAYS_GUARDED,
        velocity: VelocityPolicy = NO_VELOCITY_LIMITS,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._guard = guard
        self._velocity = velocity

    async def __call__(
        self, command: SeamlessDebitCommand, request: DoorRequest | None = None
    ) -> SeamlessResult:
        check_movement(
            command.provider,
            command.player_id,
            command.transaction_id,
            command.round_id,
            command.game_id,
        )
        require_debit_amount(command.amount)
        await self._velocity.admit(
            VelocityAction.BET,
            command.player_id,
            lambda: self._exists(command.provider, command.transaction_id),
        )
        return await self._retrying(lambda: self._attempt(command, request), command.transaction_id)

    async def _exists(self, provider: str, transaction_id: str) -> bool:
        async with self._uow() as uow:
            return await uow.provider_transactions.find(provider, transaction_id) is not None

    async def _attempt(
        self, command: SeamlessDebitCommand, request: DoorRequest | None
    ) -> SeamlessResult:
        currency = command.amount.currency
        async with self._uow() as uow:
            repo = uow.provider_transactions
            replayed = await self._replayed_movement(uow, ProviderTransactionKind.DEBIT, command)
            if replayed is not None:
                return replayed
            now = self._clock.now()
            standing = await uow.players.standing(command.player_id)
            wallet = await uow.accounts.wallet(command.player_id, currency)
            if wallet is None:
                raise NotFound(f"player {command.player_id} has no {currency.code} wallet")
            # Before the round's lock: the guard's per-player lock always comes first.
            try:
                await self._guard.check_bet(uow, standing, command.amount, now)
            except (ResponsibleGamblingRefusal, StandingRefusal):
                # A twin with this id may have committed (and used the room) while we waited
                # for the lock, or before the standing changed: then this call is its replay.
                if await repo.find(command.provider, command.transaction_id) is not None:
                    raise LostRace from None
                raise
            (await self._lock_round(uow, command, now)).require_open(
                command.transaction_id, "debit"
            )
            record = await self._claim(uow, ProviderTransactionKind.DEBIT, command, now)
            bankroll = await self._bankroll(uow, command.player_id, currency)
            movement = record.movement(wallet.id, bankroll)
            assert movement is not None  # a debit always moves its positive amount
            posted = await self._post(uow, movement)
            balance = Money(posted.leg_for(wallet.id).balance_after, currency)
            result = SeamlessResult(record.transaction_id, balance, False, posted.id)
            await self._keep(uow, request, result)
            await uow.commit()
        return result
