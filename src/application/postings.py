"""Use cases that move money: deposits, debits, transfers and staff adjustments.

Each builds one balanced transaction and hands it to the ledger inside one unit of work; the
ledger applies it atomically and answers a replay of the same idempotency key with the first
result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from application.house import HouseBook
from application.ports import Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory
from application.responsible import ALWAYS_GUARDED, ResponsibleGamblingGuard
from application.velocity import NO_VELOCITY_LIMITS, VelocityPolicy
from domain.errors import InvalidRequest, NotFound
from domain.events import transactions_posted
from domain.ledger import MetadataValue, PostedTransaction
from domain.money import Money
from domain.posting_keys import processor_deposit_key
from domain.postings import WalletMovement, debit, deposit, staff_adjustment, transfer
from domain.responsible import ResponsibleGamblingRefusal
from domain.standing import StandingRefusal
from domain.velocity import VelocityAction

MAX_REASON_LENGTH = 500


@dataclass(frozen=True, slots=True)
class WalletPosting:
    """The outcome of a posting that touches one player wallet."""

    transaction: PostedTransaction
    wallet_id: int
    balance: Money

    @property
    def replayed(self) -> bool:
        return self.transaction.replayed


class WalletPoster:
    """Posts one movement between a player's wallet and a house account."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, house: HouseBook
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._house = house

    async def _post(self, player_id: int, movement: WalletMovement) -> WalletPosting:
        async with self._uow() as uow:
            posting = await self._post_in(uow, player_id, movement)
            await uow.commit()
        return posting

    async def _post_in(
        self, uow: UnitOfWork, player_id: int, movement: WalletMovement
    ) -> WalletPosting:
        """The same posting inside a unit of work the caller commits, for use cases that
        write other state (an approval, an audit entry) in the same transaction."""
        await uow.players.get(player_id)
        currency = movement.amount.currency
        wallet = await _wallet_for_posting(uow, player_id, movement.amount)
        house = await self._house.account_for(uow.accounts, movement.house, currency, player_id)
        transaction = movement.transaction(self._ids.new_id(), wallet, house, at=self._clock.now())
        posted = await uow.ledger.post(transaction)
        uow.raise_events(*transactions_posted(posted))
        leg = posted.leg_for(wallet)
        return WalletPosting(posted, wallet, Money(leg.balance_after, currency))


async def _wallet_for_posting(uow: UnitOfWork, player_id: int, delta: Money) -> int:
    # A credit may open the wallet; a debit from a wallet that does not exist is refused
    # without creating an empty one as a side effect.
    if delta.amount > 0:
        return (await uow.accounts.open_wallet(player_id, delta.currency)).id
    wallet = await uow.accounts.wallet(player_id, delta.currency)
    if wallet is None:
        raise NotFound(f"player {player_id} has no {delta.currency.code} wallet")
    return wallet.id


@dataclass(frozen=True, slots=True)
class CreditDepositCommand:
    player_id: int
    amount: Money
    idempotency_key: str
    external_reference: str = ""
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)

    @classmethod
    def from_provider(
        cls, player_id: int, amount: Money, provider: str, external_reference: str
    ) -> CreditDepositCommand:
        """A deposit a payment provider reports (the gRPC `WalletService.Deposit`): keyed by
        the provider and its own reference, so its retries credit once."""
        return cls(
            player_id=player_id,
            amount=amount,
            idempotency_key=processor_deposit_key(provider, external_reference),
            external_reference=external_reference,
            metadata={"provider": provider},
        )


class CreditDeposit(WalletPoster):
    """Credit a payment processor's deposit to a player's wallet, against the deposits
    clearing account.

    The processor asks before the money is ours: a player whose standing refuses deposits
    (blocked: `PlayerBlocked`; the 18+ and terms never confirmed: `TermsNotAccepted`; see
    `domain.standing`), who is timed out or self-excluded, or whose deposit limit this amount
    would pass (`ResponsibleGamblingRefusal`) is refused inside the unit of work that would
    credit it, and nothing is written; the processor then does not capture the payment, or
    returns it (see docs/responsible-gambling.md).
    So is a burst over the deposits-per-hour velocity limit (`VelocityLimited`), or any deposit
    while that limit cannot be counted (`VelocityUnavailable`, fail-closed).

    A repeat of a deposit that was credited is never refused, whatever changed since: it
    answers with the first posting, so a processor retrying after a lost answer cannot
    believe that credited money was refused. Telegram Stars take another path
    (`application.payments`): Telegram asks at pre-checkout, and a charge it reports is
    always credited."""

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

    async def __call__(self, command: CreditDepositCommand) -> WalletPosting:
        amount = command.amount.require_positive()
        await self._velocity.admit(
            VelocityAction.DEPOSIT,
            command.player_id,
            lambda: self._credited(command.idempotency_key),
        )
        async with self._uow() as uow:
            standing = await uow.players.standing(command.player_id)
            try:
                await self._guard.check_deposit(uow, standing, amount, self._clock.now())
            except (ResponsibleGamblingRefusal, StandingRefusal):
                # Checked only on a refusal, so the usual deposit pays nothing for it; a
                # replay goes on to the ledger, which answers with the first posting.
                if not await uow.ledger.has_key(command.idempotency_key):
                    raise
            posting = await self._post_in(
                uow,
                command.player_id,
                deposit(
                    amount, command.idempotency_key, command.external_reference, command.metadata
                ),
            )
            await uow.commit()
        return posting

    async def _credited(self, idempotency_key: str) -> bool:
        async with self._uow() as uow:
            return await uow.ledger.has_key(idempotency_key)


@dataclass(frozen=True, slots=True)
class DebitWalletCommand:
    player_id: int
    amount: Money
    idempotency_key: str
    reference: str = ""
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)


class DebitWallet(WalletPoster):
    """Take money from a player's wallet to the house bankroll (a charge, a provider's
    debit). Fails with `InsufficientFunds` rather than letting the wallet go negative."""

    async def __call__(self, command: DebitWalletCommand) -> WalletPosting:
        return await self._post(
            command.player_id,
            debit(command.amount, command.idempotency_key, command.reference, command.metadata),
        )


@dataclass(frozen=True, slots=True)
class AdjustBalanceCommand:
    """A staff correction. `amount` is signed: positive credits the player."""

    player_id: int
    amount: Money
    reason: str
    staff_id: str
    idempotency_key: str


class AdjustBalance(WalletPoster):
    """A staff adjustment of a player's balance, against the adjustments account. A reason is
    mandatory: every correction must be explainable to an auditor."""

    async def __call__(self, command: AdjustBalanceCommand) -> WalletPosting:
        reason = command.reason.strip()
        if not reason:
            raise InvalidRequest("an adjustment needs a reason")
        if len(reason) > MAX_REASON_LENGTH:
            raise InvalidRequest(f"the reason is longer than {MAX_REASON_LENGTH} characters")
        if not command.staff_id.strip():
            raise InvalidRequest("an adjustment must name the staff member who made it")
        if command.amount.is_zero():
            raise InvalidRequest("an adjustment of zero moves nothing")
        return await self._post(
            command.player_id,
            staff_adjustment(
                command.amount,
                staff_id=command.staff_id,
                reason=reason,
                idempotency_key=command.idempotency_key,
            ),
        )


@dataclass(frozen=True, slots=True)
class TransferCommand:
    source_account_id: int
    target_account_id: int
    amount: Money
    idempotency_key: str
    reference: str = ""
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)


class Transfer:
    """Move money between any two accounts of the same currency (funding the bankroll,
    settling a clearing account). Both accounts must exist and hold that currency."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids

    async def __call__(self, command: TransferCommand) -> PostedTransaction:
        async with self._uow() as uow:
            for account_id in (command.source_account_id, command.target_account_id):
                account = await uow.accounts.get(account_id)
                if account.currency != command.amount.currency:
                    raise InvalidRequest(
                        f"account {account_id} holds {account.currency.code}, "
                        f"not {command.amount.currency.code}"
                    )
            transaction = transfer(
                self._ids.new_id(),
                command.source_account_id,
                command.target_account_id,
                command.amount,
                idempotency_key=command.idempotency_key,
                reference=command.reference,
                metadata=command.metadata,
                at=self._clock.now(),
            )
            posted = await uow.ledger.post(transaction)
            uow.raise_events(*transactions_posted(posted))
            await uow.commit()
        return posted
