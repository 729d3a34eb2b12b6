"""Every kind of posting as `domain.postings` builds it, against the journal entry the code
before it wrote by hand: the same kind, idempotency key, reference, metadata and legs, so the
same fingerprint. These strings are stored in the ledger; a replay after an upgrade must rebuild
them exactly (see also tests/integration/test_posting_keys.py, which reads them back)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from fractions import Fraction

import pytest

from domain import posting_keys, postings
from domain.accounts import AccountKind
from domain.adjustments import AdjustmentRequest
from domain.bets import Bet
from domain.errors import IllegalTransition, InvalidAmount
from domain.games.catalog import GAMES, GameConfig, StakeLimits
from domain.ledger import Leg, MetadataValue, Transaction, TransactionKind
from domain.money import XTR, Money
from domain.seamless import (
    ProviderTransaction,
    ProviderTransactionKind,
    ProviderTransactionState,
    SeamlessRound,
)
from domain.withdrawals import Withdrawal

NOW = datetime(2026, 11, 24, tzinfo=UTC)
TX = uuid.UUID("0190a000-0000-7000-8000-000000000001")
ID = uuid.UUID("0190a000-0000-7000-8000-0000000000aa")
WALLET, HOUSE, OTHER = 11, 22, 33
CONFIG = GameConfig(
    "tg_dice", house_edge=Fraction(3, 100), limits={"XTR": StakeLimits(1, 1000, 10_000)}
)


def xtr(amount: int) -> Money:
    return Money(amount, XTR)


def _same(built: Transaction | None, expected: Transaction) -> None:
    assert built == expected
    assert built is not None
    assert built.fingerprint() == expected.fingerprint()


def _bet() -> Bet:
    return Bet.place(
        bet_id=ID,
        player_id=7,
        config=CONFIG,
        params={"bet": "even"},
        stake=xtr(100),
        placed_at=NOW,
        transaction_id=TX,
    )


def test_bet_placement_and_settlements() -> None:
    bet = _bet()
    legs = bet.placement_legs(WALLET, HOUSE)
    meta = {"bet_id": str(ID), "game": "tg_dice"}
    _same(
        postings.bet_placement(bet, legs, at=NOW),
        Transaction(TX, TransactionKind.BET, f"bet:{ID}:place", legs, NOW, f"bet:{ID}", meta),
    )
    settled_id = uuid.uuid4()
    for outcome, kind in ((4, TransactionKind.WIN), (3, TransactionKind.LOSS)):
        settled = bet.settle(GAMES["tg_dice"], outcome, at=NOW, transaction_id=settled_id)
        legs = settled.settlement_legs(WALLET, HOUSE, OTHER)
        _same(
            postings.bet_settlement(settled, legs, at=NOW),
            Transaction(settled_id, kind, f"bet:{ID}:settle", legs, NOW, f"bet:{ID}", meta),
        )
    voided = bet.void("no dice", at=NOW, transaction_id=settled_id)
    legs = voided.settlement_legs(WALLET, HOUSE, OTHER)
    _same(
        postings.bet_settlement(voided, legs, at=NOW),
        Transaction(
            settled_id, TransactionKind.REFUND, f"bet:{ID}:settle", legs, NOW, f"bet:{ID}", meta
        ),
    )
    with pytest.raises(IllegalTransition, match="not settled"):
        postings.bet_settlement(bet, bet.placement_legs(WALLET, HOUSE), at=NOW)


def _wallet_entry(
    kind: TransactionKind, amount: int, key: str, ref: str, meta: Mapping[str, MetadataValue]
) -> Transaction:
    return Transaction(
        TX, kind, key, (Leg(WALLET, xtr(amount)), Leg(HOUSE, xtr(-amount))), NOW, ref, meta
    )


def test_wallet_movements() -> None:
    cases = [
        (
            postings.deposit(xtr(500), "dep-1", "ext-1", {"provider": "psp"}),
            AccountKind.DEPOSITS_CLEARING,
            _wallet_entry(TransactionKind.DEPOSIT, 500, "dep-1", "ext-1", {"provider": "psp"}),
        ),
        (
            postings.deposit(xtr(5), "dep-2"),
            AccountKind.DEPOSITS_CLEARING,
            _wallet_entry(TransactionKind.DEPOSIT, 5, "dep-2", "", {}),
        ),
        (
            postings.debit(xtr(50), "d-1", "charge-7", {"why": "fee"}),
            AccountKind.HOUSE_BANKROLL,
            _wallet_entry(TransactionKind.DEBIT, -50, "d-1", "charge-7", {"why": "fee"}),
        ),
        (
            postings.staff_adjustment(
                xtr(-25), staff_id="alice", reason="oops", idempotency_key="a-1"
            ),
            AccountKind.ADJUSTMENTS,
            _wallet_entry(
                TransactionKind.ADJUSTMENT,
                -25,
                "a-1",
                "staff:alice",
                {"reason": "oops", "staff_id": "alice"},
            ),
        ),
        (
            postings.stars_credit("ch-1", xtr(100), payload="dep:ab", telegram_user_id=42),
            AccountKind.DEPOSITS_CLEARING,
            _wallet_entry(
                TransactionKind.DEPOSIT,
                100,
                "stars:ch-1",
                "telegram-stars:ch-1",
                {"payload": "dep:ab", "telegram_user_id": 42},
            ),
        ),
        (
            postings.stars_refund("ch-1", 0, xtr(100), reason="asked", requested_by="staff:fin"),
            AccountKind.DEPOSITS_CLEARING,
            _wallet_entry(
                TransactionKind.REFUND,
                -100,
                "stars-refund:ch-1:0",
                "telegram-stars-refund:ch-1",
                {"reason": "asked", "requested_by": "staff:fin"},
            ),
        ),
        (
            postings.stars_refund_undone("ch-1", 2, xtr(100), why="CHARGE_NOT_FOUND"),
            AccountKind.DEPOSITS_CLEARING,
            _wallet_entry(
                TransactionKind.DEPOSIT,
                100,
                "stars-refund-undo:ch-1:2",
                "telegram-stars-refund-undone:ch-1",
                {"reason": "CHARGE_NOT_FOUND"},
            ),
        ),
    ]
    for movement, house, expected in cases:
        assert movement.house is house
        _same(movement.transaction(TX, WALLET, HOUSE, at=NOW), expected)


def test_a_four_eyes_adjustment_is_keyed_by_its_request() -> None:
    request = AdjustmentRequest(
        id=ID,
        player_id=7,
        amount=xtr(400),
        reason="big promo",
        requested_by="staff:fin",
        requested_at=NOW,
    )
    movement = postings.requested_adjustment(request, approved_by="staff:other")
    assert movement.house is AccountKind.ADJUSTMENTS
    _same(
        movement.transaction(TX, WALLET, HOUSE, at=NOW),
        _wallet_entry(
            TransactionKind.ADJUSTMENT,
            400,
            f"adjustment:{ID}",
            f"adjustment:{ID}",
            {"reason": "big promo", "requested_by": "staff:fin", "approved_by": "staff:other"},
        ),
    )


def test_deposits_and_debits_move_a_positive_amount() -> None:
    for build in (postings.deposit, postings.debit):
        with pytest.raises(InvalidAmount):
            build(xtr(0), "k")


def test_transfers_and_bankroll_funding() -> None:
    legs = (Leg(WALLET, xtr(-5)), Leg(HOUSE, xtr(5)))
    _same(
        postings.transfer(
            TX,
            WALLET,
            HOUSE,
            xtr(5),
            idempotency_key="tr-1",
            reference="r",
            metadata={"n": 1},
            at=NOW,
        ),
        Transaction(TX, TransactionKind.TRANSFER, "tr-1", legs, NOW, "r", {"n": 1}),
    )
    _same(
        postings.bankroll_funding(
            TX, WALLET, HOUSE, xtr(5), staff_id="bob", idempotency_key="bankroll:1", at=NOW
        ),
        Transaction(
            TX,
            TransactionKind.TRANSFER,
            "bankroll:1",
            legs,
            NOW,
            "staff:bob",
            {"purpose": "bankroll funding", "staff_id": "bob"},
        ),
    )


def test_withdrawal_steps() -> None:
    withdrawal = Withdrawal(
        id=ID,
        player_id=7,
        request_id=uuid.uuid4(),
        amount=xtr(100),
        destination="UQ-dest",
        requested_at=NOW,
        request_transaction_id=TX,
    )
    legs = (Leg(WALLET, xtr(-100)), Leg(HOUSE, xtr(100)))
    for step in ("request", "approve", "reject", "paid", "failed", "cancel"):
        _same(
            postings.withdrawal_step(withdrawal, step, TX, WALLET, HOUSE, at=NOW),
            Transaction(
                TX,
                TransactionKind.WITHDRAWAL,
                f"withdrawal:{ID}:{step}",
                legs,
                NOW,
                f"withdrawal:{ID}",
                {"step": step, "player_id": 7},
            ),
        )
    with pytest.raises(IllegalTransition, match="no step"):
        postings.withdrawal_step(withdrawal, "refund", TX, WALLET, HOUSE, at=NOW)


def test_seamless_debit_credit_and_rollback() -> None:
    meta = {"provider": "acme", "transaction_id": "tx:1", "round_id": "r-1", "game_id": "g1"}
    debit = ProviderTransaction(
        provider="acme",
        transaction_id="tx:1",
        kind=ProviderTransactionKind.DEBIT,
        state=ProviderTransactionState.DEBITED,
        player_id=7,
        round_id="r-1",
        currency=XTR,
        amount=100,
        created_at=NOW,
        game_id="g1",
        ledger_transaction_id=TX,
    )
    stake = (Leg(WALLET, xtr(-100)), Leg(HOUSE, xtr(100)))
    _same(
        debit.movement(WALLET, HOUSE),
        Transaction(
            TX, TransactionKind.BET, "seamless:acme:tx:1", stake, NOW, "seamless:acme:r-1", meta
        ),
    )
    credit = ProviderTransaction(
        provider="acme",
        transaction_id="tx-2",
        kind=ProviderTransactionKind.CREDIT,
        state=ProviderTransactionState.CREDITED,
        player_id=7,
        round_id="r-1",
        currency=XTR,
        amount=30,
        created_at=NOW,
        ledger_transaction_id=TX,
    )
    _same(
        credit.movement(WALLET, HOUSE),
        Transaction(
            TX,
            TransactionKind.WIN,
            "seamless:acme:tx-2",
            (Leg(HOUSE, xtr(-30)), Leg(WALLET, xtr(30))),
            NOW,
            "seamless:acme:r-1",
            {**meta, "transaction_id": "tx-2", "game_id": ""},
        ),
    )
    round_ = SeamlessRound.open(provider="acme", round_id="r-1", player_id=7, currency=XTR, at=NOW)
    rolled = debit.roll_back(round_, at=NOW, ledger_transaction_id=ID)
    _same(
        rolled.refund(WALLET, HOUSE),
        Transaction(
            ID,
            TransactionKind.REFUND,
            "seamless-rollback:acme:tx:1",
            (Leg(HOUSE, xtr(-100)), Leg(WALLET, xtr(100))),
            NOW,
            "seamless:acme:r-1",
            {**meta, "rollback": True},
        ),
    )


def test_keys_formed_outside_a_posting() -> None:
    # The gRPC deposit's key, named by the calling processor and its own payment id.
    assert posting_keys.processor_deposit_key("psp", "pay-9") == "deposit:psp:pay-9"
