"""The seamless wallet's use cases: Debit, Credit and Rollback as game providers call them.

Each call is one unit of work that first locks the round (creating it if new), then claims the
provider's transaction id, then posts to the ledger: the record and its journal entry commit
together or not at all. Every call is idempotent on (provider, transaction id): a repeat with
the same content answers like the first call (`replayed`, the balance as it is now) and moves
nothing; the same id with different content is an `IdempotencyConflict`. Concurrent twins
queue on the round's lock or on the id's primary key, and replay the winner.

The player's standing (`domain.standing`) is read in each call's unit of work: a debit is a
bet (`Operation.BET`: refused for a blocked player, one who has not accepted the terms, or one
timed out or self-excluded); a credit or a rollback settles a round already played
(`Operation.SETTLE`: never refused, so a blocked player's open rounds end as they stand). A
repeat of a call answers with its first result whatever the standing is now."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from application.house import HouseBook
from application.ports import Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory
from application.responsible import ALWAYS_GUARDED, ResponsibleGamblingGuard
from application.velocity import NO_VELOCITY_LIMITS, VelocityPolicy
from domain.accounts import AccountKind
from domain.errors import IdempotencyConflict, NotFound
from domain.events import TransactionPosted
from domain.ledger import PostedTransaction, Transaction
from domain.money import Currency, Money
from domain.responsible import ResponsibleGamblingRefusal
from domain.seamless import (
    ProviderTransaction,
    ProviderTransactionKind,
    ProviderTransactionState,
    require_credit_amount,
    require_debit_amount,
    validate_external_id,
    validate_player_id,
    validate_provider,
)
from domain.standing import Operation, StandingRefusal
from domain.velocity import VelocityAction

# How often a call is retried after losing a race for its transaction id to a concurrent
# call that committed first; each retry sees the winner's committed record.
_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class SeamlessDebitCommand:
    provider: str  # the calling service's name (from its API key)
    player_id: int
    amount: Money  # positive
    transaction_id: str  # the provider's id, unique per provider
    round_id: str
    game_id: str = ""


@dataclass(frozen=True, slots=True)
class SeamlessCreditCommand:
    """A win; the amount may be zero (a losing round). A credit closes its round."""

    provider: str
    player_id: int
    amount: Money
    transaction_id: str
    round_id: str
    game_id: str = ""


@dataclass(frozen=True, slots=True)
class SeamlessRollbackCommand:
    provider: str
    player_id: int
    transaction_id: str  # the id of the DEBIT being undone
    round_id: str
    currency: Currency  # the wallet currency (to answer with a balance, and for tombstones)


@dataclass(frozen=True, slots=True)
class SeamlessResult:
    transaction_id: str
    balance: Money  # the player's wallet balance after the call (or at replay time)
    replayed: bool = False
    # None when nothing moved: a zero credit, a rollback of an unknown debit.
    ledger_transaction_id: uuid.UUID | None = None


class _LostRace(Exception):
    """A concurrent call committed this transaction id first; start over and see it."""


class _SeamlessUseCase:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, house: HouseBook
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._house = house

    async def _retrying(
        self, attempt: Callable[[], Awaitable[SeamlessResult]], transaction_id: str
    ) -> SeamlessResult:
        for _ in range(_ATTEMPTS):
            try:
                return await attempt()
            except _LostRace:
                continue
        raise IdempotencyConflict(  # pragma: no cover - needs three lost races in a row
            f"transaction {transaction_id} is being processed concurrently; retry"
        )

    async def _bankroll(self, uow: UnitOfWork, player_id: int, currency: Currency) -> int:
        return await self._house.account_for(
            uow.accounts, AccountKind.HOUSE_BANKROLL, currency, player_id
        )

    @staticmethod
    async def _balance(uow: UnitOfWork, player_id: int, currency: Currency) -> Money:
        wallet = await uow.accounts.wallet(player_id, currency)
        return Money(wallet.balance if wallet is not None else 0, currency)

    @staticmethod
    async def _post(uow: UnitOfWork, transaction: Transaction) -> PostedTransaction:
        posted = await uow.ledger.post(transaction)
        if posted.replayed or posted.id != transaction.id:
            # The key is written only together with its provider record, which did not exist.
            raise IdempotencyConflict(
                f"ledger key {transaction.idempotency_key} was already used by another operation"
            )
        uow.raise_events(TransactionPosted(posted))
        return posted

    @staticmethod
    def _replay(
        record: ProviderTransaction, balance: Money, ledger_id: uuid.UUID | None
    ) -> SeamlessResult:
        return SeamlessResult(record.transaction_id, balance, True, ledger_id)

    async def _replayed_movement(
        self,
        uow: UnitOfWork,
        kind: ProviderTransactionKind,
        command: SeamlessDebitCommand | SeamlessCreditCommand,
    ) -> SeamlessResult | None:
        """The first answer to a debit or credit whose transaction id was seen before (the same
        movement, or `IdempotencyConflict`); None for a new one. Asked before anything else,
        so a repeat is answered whatever changed since (the player's standing among it)."""
        existing = await uow.provider_transactions.find(command.provider, command.transaction_id)
        if existing is None:
            return None
        existing.require_same_movement(kind, command.player_id, command.amount, command.round_id)
        balance = await self._balance(uow, command.player_id, command.amount.currency)
        return self._replay(existing, balance, existing.ledger_transaction_id)


def _check_movement(
    provider: str, player_id: int, transaction_id: str, round_id: str, game_id: str
) -> None:
    validate_provider(provider)
    validate_player_id(player_id)
    validate_external_id(transaction_id, "transaction id")
    validate_external_id(round_id, "round id")
    validate_external_id(game_id, "game id", required=False)


class SeamlessDebit(_SeamlessUseCase):
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

    async def __call__(self, command: SeamlessDebitCommand) -> SeamlessResult:
        _check_movement(
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
        return await self._retrying(lambda: self._attempt(command), command.transaction_id)

    async def _exists(self, provider: str, transaction_id: str) -> bool:
        async with self._uow() as uow:
            return await uow.provider_transactions.find(provider, transaction_id) is not None

    async def _attempt(self, command: SeamlessDebitCommand) -> SeamlessResult:
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
                    raise _LostRace from None
                raise
            round_ = await repo.lock_round(
                command.provider,
                command.round_id,
                player_id=command.player_id,
                currency=currency,
                now=now,
            )
            round_.require_owner(command.player_id, currency)
            round_.require_open(command.transaction_id, "debit")
            record = ProviderTransaction.debit(
                provider=command.provider,
                transaction_id=command.transaction_id,
                player_id=command.player_id,
                round_id=command.round_id,
                amount=command.amount,
                at=now,
                ledger_transaction_id=self._ids.new_id(),
                game_id=command.game_id,
            )
            if not await repo.add(record):
                raise _LostRace
            bankroll = await self._bankroll(uow, command.player_id, currency)
            movement = record.movement(wallet.id, bankroll)
            assert movement is not None  # a debit always moves its positive amount
            posted = await self._post(uow, movement)
            await uow.commit()
        balance = Money(posted.leg_for(wallet.id).balance_after, currency)
        return SeamlessResult(record.transaction_id, balance, False, posted.id)


class SeamlessCredit(_SeamlessUseCase):
    """Pay a win from the house bankroll to the player's wallet (opening the wallet if it is
    the player's first money in that currency) and close the round. A zero credit moves
    nothing but is recorded, and closes the round all the same. A credit on a round that
    another credit already closed is an `IllegalTransition`."""

    async def __call__(self, command: SeamlessCreditCommand) -> SeamlessResult:
        _check_movement(
            command.provider,
            command.player_id,
            command.transaction_id,
            command.round_id,
            command.game_id,
        )
        require_credit_amount(command.amount)
        return await self._retrying(lambda: self._attempt(command), command.transaction_id)

    async def _attempt(self, command: SeamlessCreditCommand) -> SeamlessResult:
        currency = command.amount.currency
        async with self._uow() as uow:
            repo = uow.provider_transactions
            replayed = await self._replayed_movement(uow, ProviderTransactionKind.CREDIT, command)
            if replayed is not None:
                return replayed
            now = self._clock.now()
            # Never refused (a win on a round already played), but asked all the same: the
            # standing's table, not this use case, says what a standing allows.
            (await uow.players.standing(command.player_id)).require(Operation.SETTLE, now)
            wallet = await uow.accounts.open_wallet(command.player_id, currency)
            round_ = await repo.lock_round(
                command.provider,
                command.round_id,
                player_id=command.player_id,
                currency=currency,
                now=now,
            )
            round_.require_owner(command.player_id, currency)
            closed = round_.close(command.transaction_id, at=now)
            record = ProviderTransaction.credit(
                provider=command.provider,
                transaction_id=command.transaction_id,
                player_id=command.player_id,
                round_id=command.round_id,
                amount=command.amount,
                at=now,
                ledger_transaction_id=self._ids.new_id(),
                game_id=command.game_id,
            )
            if not await repo.add(record):
                raise _LostRace
            await repo.close_round(closed)
            bankroll = await self._bankroll(uow, command.player_id, currency)
            movement = record.movement(wallet.id, bankroll)
            if movement is None:  # a zero credit: recorded, nothing moves
                balance = await self._balance(uow, command.player_id, currency)
            else:
                posted = await self._post(uow, movement)
                balance = Money(posted.leg_for(wallet.id).balance_after, currency)
            await uow.commit()
        return SeamlessResult(record.transaction_id, balance, False, record.ledger_transaction_id)


class SeamlessRollback(_SeamlessUseCase):
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
                    raise _LostRace
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
