"""The seamless wallet: how a game provider moves a player's money, one call at a time.

A provider names every call by its own transaction id (unique per provider) and a round id:

- a **debit** takes a stake from the player's wallet to the house bankroll;
- a **credit** pays a win (possibly zero, a losing round) from the bankroll to the wallet and
  closes the round: the round takes no further debit;
- a **rollback** undoes a debit by that debit's transaction id and gives the whole stake back,
  unless its round was already settled by a credit. A rollback of a debit never seen is
  recorded as a tombstone, so that the debit, arriving late, is refused.

Each provider transaction id is one record whose life is `debited -> rolled_back`,
`cancelled` (the tombstone) or `credited`; every call is idempotent on it. The ledger side of
each step is built here, so who pays whom lives in one place.

Longer than most modules: `ProviderTransaction` is one record's whole state machine, each step
with its checks and its ledger transaction side by side; split, the rule of a step and the
money it moves would sit in two files."""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from domain.errors import IdempotencyConflict, IllegalTransition, InvalidRequest, LimitExceeded
from domain.ledger import Leg, Transaction
from domain.money import INT64_MAX, Currency, Money, check_int64
from domain.postings import ProviderCall, seamless_credit, seamless_debit, seamless_rollback
from domain.quoting import excerpt

MAX_EXTERNAL_ID_LENGTH: Final = 100
# The most a credit may pay for each unit its round still holds in debits: above the top
# multiplier of the slots and crash games providers offer, far below "a million for one".
MAX_CREDIT_MULTIPLE: Final = 10_000
MAX_PROVIDER_LENGTH: Final = 64
# A provider is a calling service's name. No colon, so the ledger keys built from it
# (`domain.posting_keys.seamless_key`) can never collide between providers.
_PROVIDER: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class DebitCalledOff(IllegalTransition):
    """A debit whose id a rollback named before it arrived: it can never be made."""


class UncoveredCredit(IllegalTransition):
    """A credit (above zero) on a round holding no debit still standing."""


class RoundClosed(IllegalTransition):
    """A call on a round a credit already closed."""


def validate_provider(provider: str) -> str:
    if not isinstance(provider, str) or not _PROVIDER.match(provider):
        raise InvalidRequest(
            f"provider {excerpt(provider)} must be 1-{MAX_PROVIDER_LENGTH} letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    return provider


def validate_external_id(value: str, what: str, *, required: bool = True) -> str:
    """A provider's own identifier (a transaction, a round, a game): 1-100 printable
    characters. Whitespace around it is refused rather than silently trimmed, so that one id
    can never be stored under two spellings."""
    if not isinstance(value, str):
        raise InvalidRequest(f"{what} must be text, got {excerpt(value)}")
    if not value:
        if required:
            raise InvalidRequest(f"{what} is required")
        return value
    if not value.strip():
        raise InvalidRequest(f"{what} must not be blank")
    if len(value) > MAX_EXTERNAL_ID_LENGTH:
        raise InvalidRequest(
            f"{what} is {len(value)} characters long; at most {MAX_EXTERNAL_ID_LENGTH}"
        )
    if value != value.strip():
        raise InvalidRequest(f"{what} {excerpt(value)} has whitespace around it")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InvalidRequest(f"{what} {excerpt(value)} contains control characters")
    return value


def validate_player_id(player_id: int) -> int:
    if (
        isinstance(player_id, bool)
        or not isinstance(player_id, int)
        or not 0 < player_id <= INT64_MAX
    ):
        raise InvalidRequest(
            f"player id must be a positive 64-bit integer, got {excerpt(player_id)}"
        )
    return player_id


class ProviderTransactionKind(enum.StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class ProviderTransactionState(enum.StrEnum):
    DEBITED = "debited"  # a debit that took the stake
    ROLLED_BACK = "rolled_back"  # a debit whose stake was given back
    CANCELLED = "cancelled"  # a tombstone: rolled back before it arrived; it can never happen
    CREDITED = "credited"  # a credit, paid (or zero)


_KIND_OF_STATE: Final = {
    ProviderTransactionState.DEBITED: ProviderTransactionKind.DEBIT,
    ProviderTransactionState.ROLLED_BACK: ProviderTransactionKind.DEBIT,
    ProviderTransactionState.CANCELLED: ProviderTransactionKind.DEBIT,
    ProviderTransactionState.CREDITED: ProviderTransactionKind.CREDIT,
}


@dataclass(frozen=True, slots=True)
class SeamlessRound:
    """A provider's game round: one player, one currency. Open until a credit settles it;
    every call on one round is serialised on it, which is what makes "a debit on a closed
    round" and "a rollback after the credit" refusable without races."""

    provider: str
    round_id: str
    player_id: int
    currency: Currency
    opened_at: datetime
    closed_at: datetime | None = None
    closed_by: str | None = None  # the transaction id of the credit that closed it

    def __post_init__(self) -> None:
        validate_provider(self.provider)
        validate_external_id(self.round_id, "round id")
        validate_player_id(self.player_id)
        if (self.closed_at is None) != (self.closed_by is None):
            raise IllegalTransition(f"round {self.round_id}: closed_at and closed_by disagree")
        if self.closed_by is not None:
            validate_external_id(self.closed_by, "closing transaction id")

    @classmethod
    def open(
        cls, *, provider: str, round_id: str, player_id: int, currency: Currency, at: datetime
    ) -> SeamlessRound:
        return cls(provider, round_id, player_id, currency, opened_at=at)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def require_owner(self, player_id: int, currency: Currency) -> None:
        """A round belongs to one player in one currency; a call naming it for another is a
        reuse of the round id with different content."""
        if self.player_id != player_id or self.currency != currency:
            raise IdempotencyConflict(
                f"round {self.round_id} of {self.provider} belongs to player {self.player_id} "
                f"in {self.currency.code}, not player {player_id} in {currency.code}"
            )

    def require_open(self, transaction_id: str, what: str) -> None:
        if self.closed_by is not None:
            raise RoundClosed(
                f"round {self.round_id} was already closed by credit {self.closed_by}; "
                f"{what} {transaction_id} is refused"
            )

    def close(self, credit_transaction_id: str, *, at: datetime) -> SeamlessRound:
        self.require_open(credit_transaction_id, "credit")
        return replace(self, closed_at=at, closed_by=credit_transaction_id)


@dataclass(frozen=True, slots=True)
class ProviderTransaction:
    """One provider transaction id and what became of it. `amount` is None only for a
    tombstone (the debit it stands for was never seen, so its amount is unknown)."""

    provider: str
    transaction_id: str
    kind: ProviderTransactionKind
    state: ProviderTransactionState
    player_id: int
    round_id: str
    currency: Currency
    amount: int | None
    created_at: datetime
    game_id: str = ""
    ledger_transaction_id: uuid.UUID | None = None  # the debit's or the credit's journal entry
    rolled_back_at: datetime | None = None
    rollback_ledger_transaction_id: uuid.UUID | None = None
    # The rollback's own id, when its door names one (Hub88's `transaction_uuid` of the
    # rollback); the gRPC wallet's rollback has none. Unique per provider among rollbacks.
    rollback_transaction_id: str | None = None

    def __post_init__(self) -> None:
        validate_provider(self.provider)
        validate_external_id(self.transaction_id, "transaction id")
        if self.rollback_transaction_id is not None:
            validate_external_id(self.rollback_transaction_id, "rollback transaction id")
            if not self.is_rolled_back:
                raise IllegalTransition(
                    f"provider transaction {self.transaction_id} has a rollback id but was "
                    "not rolled back"
                )
        validate_external_id(self.round_id, "round id")
        validate_external_id(self.game_id, "game id", required=False)
        validate_player_id(self.player_id)
        if _KIND_OF_STATE[self.state] is not self.kind:
            raise IllegalTransition(f"a {self.kind} cannot be {self.state}")
        if self.amount is not None:
            check_int64(self.amount)
        if not self._consistent():
            raise IllegalTransition(
                f"provider transaction {self.transaction_id}: a {self.state} {self.kind} "
                "has inconsistent amount, journal entries or rollback time"
            )

    def _consistent(self) -> bool:
        # The same rule as the table's CHECK: the state decides which facts exist.
        amount, moved = self.amount, self.ledger_transaction_id is not None
        refunded = self.rollback_ledger_transaction_id is not None
        rolled = self.rolled_back_at is not None
        match self.state:
            case ProviderTransactionState.DEBITED:
                return amount is not None and amount > 0 and moved and not rolled and not refunded
            case ProviderTransactionState.ROLLED_BACK:
                return amount is not None and amount > 0 and moved and rolled and refunded
            case ProviderTransactionState.CANCELLED:
                return amount is None and not moved and rolled and not refunded
            case ProviderTransactionState.CREDITED:
                return (
                    amount is not None
                    and amount >= 0
                    and moved == (amount > 0)
                    and not (rolled or refunded)
                )

    # -- construction --------------------------------------------------------------------

    @classmethod
    def debit(
        cls,
        *,
        provider: str,
        transaction_id: str,
        player_id: int,
        round_id: str,
        amount: Money,
        at: datetime,
        ledger_transaction_id: uuid.UUID,
        game_id: str = "",
    ) -> ProviderTransaction:
        return cls(
            provider=provider,
            transaction_id=transaction_id,
            kind=ProviderTransactionKind.DEBIT,
            state=ProviderTransactionState.DEBITED,
            player_id=player_id,
            round_id=round_id,
            currency=amount.currency,
            amount=require_debit_amount(amount).amount,
            created_at=at,
            game_id=game_id,
            ledger_transaction_id=ledger_transaction_id,
        )

    @classmethod
    def credit(
        cls,
        *,
        provider: str,
        transaction_id: str,
        player_id: int,
        round_id: str,
        amount: Money,
        at: datetime,
        ledger_transaction_id: uuid.UUID,
        game_id: str = "",
    ) -> ProviderTransaction:
        """A credit; a zero credit (a losing round) moves nothing, so it keeps no journal
        entry and `ledger_transaction_id` is dropped."""
        require_credit_amount(amount)
        return cls(
            provider=provider,
            transaction_id=transaction_id,
            kind=ProviderTransactionKind.CREDIT,
            state=ProviderTransactionState.CREDITED,
            player_id=player_id,
            round_id=round_id,
            currency=amount.currency,
            amount=amount.amount,
            created_at=at,
            game_id=game_id,
            ledger_transaction_id=None if amount.is_zero() else ledger_transaction_id,
        )

    @classmethod
    def tombstone(
        cls,
        *,
        provider: str,
        transaction_id: str,
        player_id: int,
        round_id: str,
        currency: Currency,
        at: datetime,
        rollback_transaction_id: str | None = None,
    ) -> ProviderTransaction:
        """The record a rollback of an unknown debit leaves: that debit can never be made."""
        return cls(
            provider=provider,
            transaction_id=transaction_id,
            kind=ProviderTransactionKind.DEBIT,
            state=ProviderTransactionState.CANCELLED,
            player_id=player_id,
            round_id=round_id,
            currency=currency,
            amount=None,
            created_at=at,
            rolled_back_at=at,
            rollback_transaction_id=rollback_transaction_id,
        )

    # -- idempotency -----------------------------------------------------------------------

    @property
    def money(self) -> Money | None:
        return None if self.amount is None else Money(self.amount, self.currency)

    @property
    def is_rolled_back(self) -> bool:
        """Whether a rollback has been recorded for this id (a refund or a tombstone)."""
        return self.state in (
            ProviderTransactionState.ROLLED_BACK,
            ProviderTransactionState.CANCELLED,
        )

    def require_same_movement(
        self, kind: ProviderTransactionKind, player_id: int, amount: Money, round_id: str
    ) -> None:
        """A repeated debit or credit under this id must ask for exactly what the first one
        did; a debit whose id was rolled back before it arrived can never be made."""
        if self.state is ProviderTransactionState.CANCELLED and kind is self.kind:
            raise DebitCalledOff(
                f"debit {self.transaction_id} was rolled back before it arrived; it is refused"
            )
        same = (
            self.kind is kind
            and self.player_id == player_id
            and self.currency == amount.currency
            and self.amount == amount.amount
            and self.round_id == round_id
        )
        if not same:
            raise IdempotencyConflict(
                f"transaction {self.transaction_id} of {self.provider} was already used for a "
                f"different operation ({self._describe()})"
            )

    def require_same_rollback(self, player_id: int, round_id: str, currency: Currency) -> None:
        """A rollback names a debit: it must be a debit, of the same player, round and
        currency."""
        if self.kind is not ProviderTransactionKind.DEBIT:
            raise IllegalTransition(
                f"transaction {self.transaction_id} is a {self.kind}; only a debit is rolled back"
            )
        if (self.player_id, self.round_id, self.currency) != (player_id, round_id, currency):
            raise IdempotencyConflict(
                f"transaction {self.transaction_id} of {self.provider} was a different "
                f"operation than this rollback names ({self._describe()})"
            )

    def require_rollback_id_for(self, transaction_id: str) -> None:
        """This record's rollback id was given to the rollback of `transaction_id`: it must
        be this record's own; a rollback id names one rollback of one debit."""
        if self.transaction_id != transaction_id:
            raise IdempotencyConflict(
                f"rollback {self.rollback_transaction_id} of {self.provider} already rolled "
                f"back debit {self.transaction_id}, not {transaction_id}"
            )

    def _describe(self) -> str:
        what = "a tombstone" if self.amount is None else f"{self.kind} of {self.money}"
        return f"{what} for player {self.player_id} in round {self.round_id}"

    # -- transitions -------------------------------------------------------------------------

    def roll_back(
        self,
        round_: SeamlessRound,
        *,
        at: datetime,
        ledger_transaction_id: uuid.UUID,
        rollback_transaction_id: str | None = None,
    ) -> ProviderTransaction:
        """Undo a debit whose round is still open: the whole stake goes back."""
        if self.kind is not ProviderTransactionKind.DEBIT:
            raise IllegalTransition(
                f"transaction {self.transaction_id} is a {self.kind}; only a debit is rolled back"
            )
        if self.state is not ProviderTransactionState.DEBITED:
            raise IllegalTransition(f"debit {self.transaction_id} is already {self.state}")
        if (round_.provider, round_.round_id) != (self.provider, self.round_id):
            raise IllegalTransition(
                f"debit {self.transaction_id} is not in round {round_.round_id}"
            )
        round_.require_open(self.transaction_id, "the rollback of debit")
        return replace(
            self,
            state=ProviderTransactionState.ROLLED_BACK,
            rolled_back_at=at,
            rollback_ledger_transaction_id=ledger_transaction_id,
            rollback_transaction_id=rollback_transaction_id,
        )

    # -- the ledger side ---------------------------------------------------------------------

    @property
    def call(self) -> ProviderCall:
        """What names this call in the books."""
        return ProviderCall(self.provider, self.transaction_id, self.round_id, self.game_id)

    def movement(self, wallet: int, bankroll: int) -> Transaction | None:
        """The journal entry of the debit or credit: the stake from the wallet to the
        bankroll, or the win from the bankroll to the wallet. None for a zero credit or a
        tombstone, which move nothing."""
        money = self.money
        if self.ledger_transaction_id is None or money is None or money.is_zero():
            return None
        if self.kind is ProviderTransactionKind.DEBIT:
            legs = (Leg(wallet, -money), Leg(bankroll, money))
            return seamless_debit(self.call, self.ledger_transaction_id, legs, at=self.created_at)
        legs = (Leg(bankroll, -money), Leg(wallet, money))
        return seamless_credit(self.call, self.ledger_transaction_id, legs, at=self.created_at)

    def refund(self, wallet: int, bankroll: int) -> Transaction:
        """The journal entry of a rollback: the whole stake from the bankroll back to the
        wallet."""
        money = self.money
        if (
            self.state is not ProviderTransactionState.ROLLED_BACK
            or money is None
            or self.rollback_ledger_transaction_id is None
            or self.rolled_back_at is None
        ):
            raise IllegalTransition(f"debit {self.transaction_id} was not rolled back")
        return seamless_rollback(
            self.call,
            self.rollback_ledger_transaction_id,
            (Leg(bankroll, -money), Leg(wallet, money)),
            at=self.rolled_back_at,
        )


def require_debit_amount(amount: Money) -> Money:
    if amount.amount <= 0:
        raise InvalidRequest(f"a debit must be a positive amount, got {amount}")
    return amount


def require_credit_amount(amount: Money) -> Money:
    if amount.amount < 0:
        raise InvalidRequest(f"a credit cannot be negative, got {amount}")
    return amount


def require_credit_covered(
    round_id: str, debits: Iterable[ProviderTransaction], amount: Money, *, free_round: bool = False
) -> None:
    """A credit pays a round that was played: its round must hold stakes still debited (none
    rolled back to nothing), and it pays at most `MAX_CREDIT_MULTIPLE` times their sum. A zero
    credit (a lost round) moves nothing and may close any round. A declared free round needs
    no debit (its budget is the key's, checked by the caller), but never follows a debit: a
    round with stakes, or with stakes rolled back, is not free."""
    if amount.amount == 0:
        return
    debits = list(debits)
    if free_round:
        if debits:
            raise IllegalTransition(f"round {round_id} had a debit; it is not a free round")
        return
    staked = sum(d.amount or 0 for d in debits if d.state is ProviderTransactionState.DEBITED)
    if staked == 0:
        raise UncoveredCredit(
            f"round {round_id}: its debits were rolled back, a credit is refused"
            if debits
            else f"round {round_id} has no debit, a credit is refused"
        )
    if amount.amount > staked * MAX_CREDIT_MULTIPLE:
        raise LimitExceeded(
            f"round {round_id}: a credit pays at most {MAX_CREDIT_MULTIPLE} times the round's "
            f"debits ({Money(staked, amount.currency)})"
        )
