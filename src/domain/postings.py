"""Every kind of ledger posting, each built one way: the journal entry a use case hands to the
ledger, with the kind, idempotency key, reference and metadata the books have always held
for it (the keys and references come from `domain.posting_keys`, the one key scheme).

The legs stay with whoever knows who pays whom (`Bet.placement_legs`, `transfer_legs`, the
seamless record); a constructor adds what the books say about them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from domain.accounts import AccountKind
from domain.adjustments import AdjustmentRequest
from domain.bets import Bet, BetState
from domain.errors import IllegalTransition
from domain.ledger import Leg, MetadataValue, Transaction, TransactionKind, transfer_legs
from domain.money import Money
from domain.posting_keys import (
    WithdrawalStep,
    adjustment_key,
    adjustment_reference,
    bet_placement_key,
    bet_reference,
    bet_settlement_key,
    crypto_pay_credit_key,
    crypto_pay_credit_reference,
    seamless_key,
    seamless_reference,
    seamless_rollback_key,
    staff_reference,
    stars_credit_key,
    stars_credit_reference,
    stars_refund_key,
    stars_refund_reference,
    stars_refund_undone_key,
    stars_refund_undone_reference,
    withdrawal_key,
    withdrawal_reference,
)
from domain.quoting import excerpt
from domain.withdrawals import Withdrawal

# -- bets --------------------------------------------------------------------------------------

_SETTLEMENT_KIND: Final = {
    BetState.WON: TransactionKind.WIN,
    BetState.LOST: TransactionKind.LOSS,
    BetState.VOIDED: TransactionKind.REFUND,
}


def _bet_metadata(bet_id: str, bet: Bet) -> dict[str, MetadataValue]:
    return {"bet_id": bet_id, "game": bet.game}


def bet_placement(bet: Bet, legs: tuple[Leg, ...], *, at: datetime) -> Transaction:
    """The stake going into play (`Bet.placement_legs`)."""
    bet_id = str(bet.id)  # once for its key, reference and metadata
    return Transaction(
        id=bet.placed_transaction_id,
        kind=TransactionKind.BET,
        idempotency_key=bet_placement_key(bet_id),
        legs=legs,
        created_at=at,
        reference=bet_reference(bet_id),
        metadata=_bet_metadata(bet_id, bet),
    )


def bet_settlement(bet: Bet, legs: tuple[Leg, ...], *, at: datetime) -> Transaction:
    """A won, lost or voided bet's money leaving play (`Bet.settlement_legs`)."""
    kind = _SETTLEMENT_KIND.get(bet.state)
    if kind is None or bet.settlement_transaction_id is None:
        raise IllegalTransition(f"bet {bet.id} is {bet.state}, not settled")
    bet_id = str(bet.id)
    return Transaction(
        id=bet.settlement_transaction_id,
        kind=kind,
        idempotency_key=bet_settlement_key(bet_id),
        legs=legs,
        created_at=at,
        reference=bet_reference(bet_id),
        metadata=_bet_metadata(bet_id, bet),
    )


def bet_played_at_once(bet: Bet, legs: tuple[Leg, ...], *, at: datetime) -> Transaction:
    """A bet placed and settled in one unit of work, as one transaction (`Bet.instant_legs`,
    net): the settlement's kind, key and id, which is also the bet's placement transaction."""
    kind = _SETTLEMENT_KIND.get(bet.state)
    if kind is None or kind is TransactionKind.REFUND or not bet.posted_at_once:
        raise IllegalTransition(f"bet {bet.id} is {bet.state}, not played at once")
    bet_id = str(bet.id)
    return Transaction(
        id=bet.placed_transaction_id,
        kind=kind,
        idempotency_key=bet_settlement_key(bet_id),
        legs=legs,
        created_at=at,
        reference=bet_reference(bet_id),
        metadata=_bet_metadata(bet_id, bet),
    )


# -- between a player's wallet and a house account ----------------------------------------------


@dataclass(frozen=True, slots=True)
class WalletMovement:
    """A posting between a player's wallet and one house account, before its accounts are
    looked up: `amount` is the wallet's side (positive credits the player), the house account
    of kind `house` takes the other."""

    kind: TransactionKind
    amount: Money
    house: AccountKind
    idempotency_key: str
    reference: str = ""
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)

    def transaction(
        self, transaction_id: uuid.UUID, wallet: int, house: int, *, at: datetime
    ) -> Transaction:
        return Transaction(
            id=transaction_id,
            kind=self.kind,
            idempotency_key=self.idempotency_key,
            legs=(Leg(wallet, self.amount), Leg(house, -self.amount)),
            created_at=at,
            reference=self.reference,
            metadata=self.metadata,
        )


def deposit(
    amount: Money,
    idempotency_key: str,
    reference: str = "",
    metadata: Mapping[str, MetadataValue] | None = None,
) -> WalletMovement:
    """A payment processor's deposit, against the deposits clearing account."""
    return WalletMovement(
        TransactionKind.DEPOSIT,
        amount.require_positive(),
        AccountKind.DEPOSITS_CLEARING,
        idempotency_key,
        reference,
        metadata or {},
    )


def debit(
    amount: Money,
    idempotency_key: str,
    reference: str = "",
    metadata: Mapping[str, MetadataValue] | None = None,
) -> WalletMovement:
    """A charge taking a positive `amount` from the wallet to the house bankroll."""
    return WalletMovement(
        TransactionKind.DEBIT,
        -amount.require_positive(),
        AccountKind.HOUSE_BANKROLL,
        idempotency_key,
        reference,
        metadata or {},
    )


def staff_adjustment(
    amount: Money, *, staff_id: str, reason: str, idempotency_key: str
) -> WalletMovement:
    """A staff correction posted at once (signed: positive credits the player)."""
    return WalletMovement(
        TransactionKind.ADJUSTMENT,
        amount,
        AccountKind.ADJUSTMENTS,
        idempotency_key,
        staff_reference(staff_id),
        {"reason": reason, "staff_id": staff_id},
    )


def requested_adjustment(request: AdjustmentRequest, *, approved_by: str) -> WalletMovement:
    """A four-eyes adjustment request, posted when it is approved (or at once when small)."""
    return WalletMovement(
        TransactionKind.ADJUSTMENT,
        request.amount,
        AccountKind.ADJUSTMENTS,
        adjustment_key(request.id),
        adjustment_reference(request.id),
        {
            "reason": request.reason,
            "requested_by": request.requested_by,
            "approved_by": approved_by,
        },
    )


def stars_credit(
    charge_id: str, amount: Money, *, payload: str, telegram_user_id: int
) -> WalletMovement:
    """A Telegram Stars charge, credited against the deposits clearing account."""
    return WalletMovement(
        TransactionKind.DEPOSIT,
        amount,
        AccountKind.DEPOSITS_CLEARING,
        stars_credit_key(charge_id),
        stars_credit_reference(charge_id),
        {"payload": payload, "telegram_user_id": telegram_user_id},
    )


def crypto_pay_credit(provider_invoice_id: int, reference: str, amount: Money) -> WalletMovement:
    """A Crypto Pay invoice paid, credited against the money held at Crypto Pay."""
    return WalletMovement(
        TransactionKind.DEPOSIT,
        amount,
        AccountKind.CRYPTO_PAY_HELD,
        crypto_pay_credit_key(provider_invoice_id),
        crypto_pay_credit_reference(reference),
        {"provider": "crypto_pay", "invoice_id": provider_invoice_id},
    )


def stars_refund(
    charge_id: str, attempt: int, amount: Money, *, reason: str, requested_by: str
) -> WalletMovement:
    """The Stars of a charge leaving the wallet before Telegram is asked to refund them."""
    return WalletMovement(
        TransactionKind.REFUND,
        -amount,
        AccountKind.DEPOSITS_CLEARING,
        stars_refund_key(charge_id, attempt),
        stars_refund_reference(charge_id),
        {"reason": reason, "requested_by": requested_by},
    )


def stars_refund_undone(charge_id: str, attempt: int, amount: Money, *, why: str) -> WalletMovement:
    """The Stars put back when Telegram refused the refund."""
    return WalletMovement(
        TransactionKind.DEPOSIT,
        amount,
        AccountKind.DEPOSITS_CLEARING,
        stars_refund_undone_key(charge_id, attempt),
        stars_refund_undone_reference(charge_id),
        {"reason": why},
    )


# -- between any two accounts ------------------------------------------------------------------


def transfer(
    transaction_id: uuid.UUID,
    source: int,
    target: int,
    amount: Money,
    *,
    idempotency_key: str,
    reference: str = "",
    metadata: Mapping[str, MetadataValue] | None = None,
    at: datetime,
) -> Transaction:
    return Transaction(
        id=transaction_id,
        kind=TransactionKind.TRANSFER,
        idempotency_key=idempotency_key,
        legs=transfer_legs(source, target, amount),
        created_at=at,
        reference=reference,
        metadata=metadata or {},
    )


def bankroll_funding(
    transaction_id: uuid.UUID,
    adjustments: int,
    bankroll: int,
    amount: Money,
    *,
    staff_id: str,
    idempotency_key: str,
    at: datetime,
) -> Transaction:
    """Operator capital from the adjustments account into the bankroll."""
    return transfer(
        transaction_id,
        adjustments,
        bankroll,
        amount,
        idempotency_key=idempotency_key,
        reference=staff_reference(staff_id),
        metadata={"purpose": "bankroll funding", "staff_id": staff_id},
        at=at,
    )


def withdrawal_step(
    withdrawal: Withdrawal,
    step: WithdrawalStep | str,
    transaction_id: uuid.UUID,
    source: int,
    target: int,
    *,
    at: datetime,
) -> Transaction:
    """A withdrawal's whole amount moving one step on (see `application.withdrawals`)."""
    try:
        step = WithdrawalStep(step)
    except ValueError:
        raise IllegalTransition(f"a withdrawal has no step {excerpt(step)}") from None
    return Transaction(
        id=transaction_id,
        kind=TransactionKind.WITHDRAWAL,
        idempotency_key=withdrawal_key(withdrawal.id, step),
        legs=transfer_legs(source, target, withdrawal.amount),
        created_at=at,
        reference=withdrawal_reference(withdrawal.id),
        metadata={"step": step.value, "player_id": withdrawal.player_id},
    )


# -- the seamless wallet -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProviderCall:
    """What names a game provider's call in the books."""

    provider: str
    transaction_id: str
    round_id: str
    game_id: str = ""

    @property
    def reference(self) -> str:
        return seamless_reference(self.provider, self.round_id)

    @property
    def metadata(self) -> dict[str, MetadataValue]:
        return {
            "provider": self.provider,
            "transaction_id": self.transaction_id,
            "round_id": self.round_id,
            "game_id": self.game_id,
        }


def seamless_debit(
    call: ProviderCall, transaction_id: uuid.UUID, legs: tuple[Leg, ...], *, at: datetime
) -> Transaction:
    """A provider's stake, from the wallet to the bankroll."""
    return _seamless(call, TransactionKind.BET, transaction_id, legs, at)


def seamless_credit(
    call: ProviderCall, transaction_id: uuid.UUID, legs: tuple[Leg, ...], *, at: datetime
) -> Transaction:
    """A provider's win, from the bankroll to the wallet."""
    return _seamless(call, TransactionKind.WIN, transaction_id, legs, at)


def _seamless(
    call: ProviderCall,
    kind: TransactionKind,
    transaction_id: uuid.UUID,
    legs: tuple[Leg, ...],
    at: datetime,
) -> Transaction:
    return Transaction(
        id=transaction_id,
        kind=kind,
        idempotency_key=seamless_key(call.provider, call.transaction_id),
        legs=legs,
        created_at=at,
        reference=call.reference,
        metadata=call.metadata,
    )


def seamless_rollback(
    call: ProviderCall, transaction_id: uuid.UUID, legs: tuple[Leg, ...], *, at: datetime
) -> Transaction:
    """The stake of a rolled back debit, from the bankroll back to the wallet; `call` names
    the debit."""
    return Transaction(
        id=transaction_id,
        kind=TransactionKind.REFUND,
        idempotency_key=seamless_rollback_key(call.provider, call.transaction_id),
        legs=legs,
        created_at=at,
        reference=call.reference,
        metadata={**call.metadata, "rollback": True},
    )
