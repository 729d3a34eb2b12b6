"""The seamless wallet's rules in the domain: valid ids, the record's states, idempotency,
rounds, and who pays whom."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import IdempotencyConflict, IllegalTransition, InvalidRequest
from domain.ledger import TransactionKind
from domain.money import TON, XTR, Money
from domain.posting_keys import seamless_key, seamless_rollback_key
from domain.seamless import (
    ProviderTransaction,
    ProviderTransactionKind,
    ProviderTransactionState,
    SeamlessRound,
    require_credit_amount,
    require_debit_amount,
    validate_external_id,
    validate_player_id,
    validate_provider,
)

NOW = datetime(2026, 11, 24, tzinfo=UTC)
LATER = NOW + timedelta(seconds=5)
WALLET, BANKROLL = 10, 20
DEBIT, CREDIT = ProviderTransactionKind.DEBIT, ProviderTransactionKind.CREDIT


def _debit(amount: int = 100, **overrides: object) -> ProviderTransaction:
    values: dict[str, object] = {
        "provider": "acme-games",
        "transaction_id": "tx-1",
        "player_id": 7,
        "round_id": "round-1",
        "amount": Money(amount, XTR),
        "at": NOW,
        "ledger_transaction_id": uuid.uuid4(),
        "game_id": "book-of-ra",
    }
    values.update(overrides)
    return ProviderTransaction.debit(**values)  # type: ignore[arg-type]


def _credit(amount: int = 250, **overrides: object) -> ProviderTransaction:
    values: dict[str, object] = {
        "provider": "acme-games",
        "transaction_id": "tx-2",
        "player_id": 7,
        "round_id": "round-1",
        "amount": Money(amount, XTR),
        "at": NOW,
        "ledger_transaction_id": uuid.uuid4(),
    }
    values.update(overrides)
    return ProviderTransaction.credit(**values)  # type: ignore[arg-type]


def _round(**overrides: object) -> SeamlessRound:
    round_ = SeamlessRound.open(
        provider="acme-games", round_id="round-1", player_id=7, currency=XTR, at=NOW
    )
    return replace(round_, **overrides)  # type: ignore[arg-type]


def _tombstone() -> ProviderTransaction:
    return ProviderTransaction.tombstone(
        provider="acme-games",
        transaction_id="tx-1",
        player_id=7,
        round_id="round-1",
        currency=XTR,
        at=NOW,
    )


# -- input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "is required"),
        ("   ", "blank"),
        ("x" * 101, "101 characters long; at most 100"),
        (" tx", "whitespace around it"),
        ("tx\x00", "control characters"),
        ("tx\n1", "control characters"),
    ],
)
def test_external_ids_are_1_to_100_printable_characters(value: str, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        validate_external_id(value, "transaction id")


def test_valid_external_ids_pass_unchanged() -> None:
    assert validate_external_id("x" * 100, "round id") == "x" * 100
    assert validate_external_id("a:b/c-é", "round id") == "a:b/c-é"
    assert validate_external_id("", "game id", required=False) == ""


@pytest.mark.parametrize("provider", ["", "a:b", "-acme", "x" * 65, "acme games"])
def test_a_provider_name_has_no_colon_or_space(provider: str) -> None:
    with pytest.raises(InvalidRequest, match="provider"):
        validate_provider(provider)


@pytest.mark.parametrize("player_id", [0, -1, True, 2**63])
def test_a_player_id_is_a_positive_64_bit_integer(player_id: int) -> None:
    with pytest.raises(InvalidRequest, match="player id"):
        validate_player_id(player_id)


def test_a_debit_is_positive_and_a_credit_not_negative() -> None:
    with pytest.raises(InvalidRequest, match="debit must be a positive amount"):
        require_debit_amount(Money(0, XTR))
    with pytest.raises(InvalidRequest, match="debit must be a positive amount"):
        _debit(-5)
    with pytest.raises(InvalidRequest, match="credit cannot be negative"):
        require_credit_amount(Money(-1, XTR))
    assert require_credit_amount(Money(0, XTR)) == Money(0, XTR)


def test_records_refuse_bad_ids() -> None:
    with pytest.raises(InvalidRequest, match="transaction id"):
        _debit(transaction_id="")
    with pytest.raises(InvalidRequest, match="round id"):
        _credit(round_id="r" * 101)
    with pytest.raises(InvalidRequest, match="game id"):
        _debit(game_id="g" * 101)


# -- the record's states -------------------------------------------------------------------


def test_a_record_state_decides_which_facts_exist() -> None:
    debit = _debit()
    with pytest.raises(IllegalTransition, match="a credit cannot be debited"):
        replace(debit, kind=CREDIT)
    with pytest.raises(IllegalTransition, match="inconsistent"):
        replace(debit, ledger_transaction_id=None)
    with pytest.raises(IllegalTransition, match="inconsistent"):
        replace(debit, state=ProviderTransactionState.ROLLED_BACK)  # no refund entry
    with pytest.raises(IllegalTransition, match="inconsistent"):
        replace(_tombstone(), amount=5)
    with pytest.raises(IllegalTransition, match="inconsistent"):
        replace(_credit(0), ledger_transaction_id=uuid.uuid4())


def test_a_zero_credit_keeps_no_journal_entry() -> None:
    zero = _credit(0)
    assert zero.state is ProviderTransactionState.CREDITED
    assert zero.ledger_transaction_id is None
    assert zero.movement(WALLET, BANKROLL) is None


# -- idempotency ---------------------------------------------------------------------------


def test_the_same_movement_is_a_replay_and_any_difference_a_conflict() -> None:
    debit = _debit(100)
    debit.require_same_movement(DEBIT, 7, Money(100, XTR), "round-1")  # no error
    differences = [
        (CREDIT, 7, Money(100, XTR), "round-1"),
        (DEBIT, 8, Money(100, XTR), "round-1"),
        (DEBIT, 7, Money(101, XTR), "round-1"),
        (DEBIT, 7, Money(100, TON), "round-1"),
        (DEBIT, 7, Money(100, XTR), "round-2"),
    ]
    for kind, player, amount, round_id in differences:
        with pytest.raises(IdempotencyConflict, match="different operation"):
            debit.require_same_movement(kind, player, amount, round_id)


def test_a_rolled_back_debit_still_replays_as_the_debit() -> None:
    rolled = _debit().roll_back(_round(), at=LATER, ledger_transaction_id=uuid.uuid4())
    rolled.require_same_movement(DEBIT, 7, Money(100, XTR), "round-1")  # no error
    assert rolled.is_rolled_back


def test_a_tombstone_refuses_the_late_debit_whatever_its_content() -> None:
    tombstone = _tombstone()
    assert tombstone.is_rolled_back
    assert tombstone.amount is None
    with pytest.raises(IllegalTransition, match="rolled back before it arrived"):
        tombstone.require_same_movement(DEBIT, 7, Money(100, XTR), "round-1")
    with pytest.raises(IllegalTransition, match="rolled back before it arrived"):
        tombstone.require_same_movement(DEBIT, 8, Money(1, TON), "other")
    with pytest.raises(IdempotencyConflict):
        tombstone.require_same_movement(CREDIT, 7, Money(100, XTR), "round-1")


def test_a_rollback_must_name_its_debit_exactly() -> None:
    debit = _debit()
    debit.require_same_rollback(7, "round-1", XTR)  # no error
    for player, round_id, currency in [(8, "round-1", XTR), (7, "r2", XTR), (7, "round-1", TON)]:
        with pytest.raises(IdempotencyConflict, match="different operation"):
            debit.require_same_rollback(player, round_id, currency)
    with pytest.raises(IllegalTransition, match="only a debit is rolled back"):
        _credit().require_same_rollback(7, "round-1", XTR)


# -- rounds and rollbacks -------------------------------------------------------------------


def test_a_credit_closes_the_round_once() -> None:
    open_round = _round()
    assert not open_round.is_closed
    closed = open_round.close("tx-2", at=LATER)
    assert closed.is_closed
    assert closed.closed_by == "tx-2"
    with pytest.raises(IllegalTransition, match="already closed by credit tx-2"):
        closed.close("tx-3", at=LATER)
    with pytest.raises(IllegalTransition, match="already closed by credit tx-2; debit tx-9"):
        closed.require_open("tx-9", "debit")
    with pytest.raises(IllegalTransition, match="disagree"):
        _round(closed_at=LATER)


def test_a_round_belongs_to_one_player_and_currency() -> None:
    round_ = _round()
    round_.require_owner(7, XTR)  # no error
    with pytest.raises(IdempotencyConflict, match="belongs to player 7 in XTR"):
        round_.require_owner(8, XTR)
    with pytest.raises(IdempotencyConflict, match="not player 7 in TON"):
        round_.require_owner(7, TON)


def test_a_debit_rolls_back_once_and_only_while_its_round_is_open() -> None:
    debit = _debit()
    refund_id = uuid.uuid4()
    rolled = debit.roll_back(_round(), at=LATER, ledger_transaction_id=refund_id)
    assert rolled.state is ProviderTransactionState.ROLLED_BACK
    assert rolled.rolled_back_at == LATER
    assert rolled.rollback_ledger_transaction_id == refund_id
    with pytest.raises(IllegalTransition, match="already rolled_back"):
        rolled.roll_back(_round(), at=LATER, ledger_transaction_id=uuid.uuid4())
    closed = _round().close("tx-2", at=LATER)
    with pytest.raises(IllegalTransition, match="closed by credit tx-2"):
        debit.roll_back(closed, at=LATER, ledger_transaction_id=uuid.uuid4())
    with pytest.raises(IllegalTransition, match="not in round"):
        debit.roll_back(_round(round_id="other"), at=LATER, ledger_transaction_id=uuid.uuid4())
    with pytest.raises(IllegalTransition, match="only a debit is rolled back"):
        _credit().roll_back(_round(), at=LATER, ledger_transaction_id=uuid.uuid4())
    with pytest.raises(IllegalTransition, match="already cancelled"):
        _tombstone().roll_back(_round(), at=LATER, ledger_transaction_id=uuid.uuid4())


# -- the ledger side ---------------------------------------------------------------------


def test_a_debit_moves_the_stake_from_the_wallet_to_the_bankroll() -> None:
    debit = _debit(100)
    entry = debit.movement(WALLET, BANKROLL)
    assert entry is not None
    assert entry.id == debit.ledger_transaction_id
    assert entry.kind is TransactionKind.BET
    assert entry.idempotency_key == "seamless:acme-games:tx-1"
    assert entry.leg_for(WALLET).amount == Money(-100, XTR)
    assert entry.leg_for(BANKROLL).amount == Money(100, XTR)
    assert entry.metadata["round_id"] == "round-1"
    assert entry.metadata["game_id"] == "book-of-ra"


def test_a_credit_pays_the_win_from_the_bankroll() -> None:
    credit = _credit(250)
    entry = credit.movement(WALLET, BANKROLL)
    assert entry is not None
    assert entry.kind is TransactionKind.WIN
    assert entry.idempotency_key == "seamless:acme-games:tx-2"
    assert entry.leg_for(WALLET).amount == Money(250, XTR)
    assert entry.leg_for(BANKROLL).amount == Money(-250, XTR)


def test_a_rollback_refunds_the_whole_stake_under_its_own_key() -> None:
    debit = _debit(100)
    with pytest.raises(IllegalTransition, match="was not rolled back"):
        debit.refund(WALLET, BANKROLL)
    rolled = debit.roll_back(_round(), at=LATER, ledger_transaction_id=uuid.uuid4())
    refund = rolled.refund(WALLET, BANKROLL)
    assert refund.id == rolled.rollback_ledger_transaction_id
    assert refund.kind is TransactionKind.REFUND
    assert refund.created_at == LATER
    assert refund.leg_for(WALLET).amount == Money(100, XTR)
    assert refund.leg_for(BANKROLL).amount == Money(-100, XTR)
    assert refund.idempotency_key == seamless_rollback_key("acme-games", "tx-1")
    assert _tombstone().movement(WALLET, BANKROLL) is None


def test_ledger_keys_of_different_calls_never_collide() -> None:
    # Transaction ids may contain ':'; the rollback's key has a prefix of its own.
    assert seamless_key("p", "a:rollback") != seamless_rollback_key("p", "a")
    assert seamless_key("p", "rollback:a") != seamless_rollback_key("p", "a")
    assert seamless_rollback_key("p", "a").startswith("seamless-rollback:")
    # A provider has no ':', so the key's provider part ends at its first ':' after the
    # prefix: "seamless:a:b:c" can only be provider "a" with id "b:c".
    assert seamless_key("a", "b:c") == "seamless:a:b:c"
    with pytest.raises(InvalidRequest):
        validate_provider("a:b")
