"""A bet placed and settled in one unit of work, as one ledger transaction (issue 19): the
wallet and the bankroll, net, with the gross stake and payout on the bet row. Only where the
funds were checked before the write (the snapshot road reads the balance, and `place_bets`
checks it still holds): the locked road leaves the overdraft check to its placement posting,
which a net winning leg would not refuse. A bet that pays its stake back moves nothing net
and keeps its two transactions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from fractions import Fraction

import pytest

from application.betting.decision import PlaceBetCommand, PlacementFacts, decide_bet
from domain.bets import BetState
from domain.errors import IllegalTransition
from domain.fairness import commitment
from domain.games.catalog import GameConfig, StakeLimits
from domain.ledger import TransactionKind
from domain.money import XTR, Money
from domain.postings import bet_played_at_once, bet_settlement
from domain.seeds import SeedPair
from tests.fakes import SequentialIds

NOW = datetime(2026, 12, 3, tzinfo=UTC)
WALLET, BANKROLL = 11, 12
CONFIG = GameConfig(
    "coin", house_edge=Fraction(1, 100), limits={"XTR": StakeLimits(1, 1000, 10_000)}
)
SEED = "ab" * 32
PAIR = SeedPair(1, 7, SEED, commitment(SEED), "client-seed", 0, NOW)


def _decided(stake: int, nonce: int, balance: int | None):
    command = PlaceBetCommand(7, uuid.uuid4(), "coin", Money(stake, XTR), {"side": "heads"})
    facts = PlacementFacts(WALLET, CONFIG, 10**9, (PAIR, nonce), balance)
    return decide_bet(command, facts, now=NOW, ids=SequentialIds())


def _first(state: BetState, stake: int = 100, balance: int | None = 1000):
    for nonce in range(64):
        decided = _decided(stake, nonce, balance)
        if decided.final.state is state:
            return decided
    raise AssertionError(f"no {state} bet in 64 nonces")  # pragma: no cover


@pytest.mark.parametrize("state", [BetState.WON, BetState.LOST])
def test_a_bet_decided_on_a_read_balance_is_one_net_transaction(state: BetState) -> None:
    decided = _first(state)
    bet = decided.final
    assert decided.posted_at_once
    assert bet.posted_at_once
    assert bet.settlement_transaction_id == bet.placed_transaction_id
    net = (bet.payout or 0) - 100
    legs = bet.instant_legs(WALLET, BANKROLL)
    assert {(leg.account_id, leg.amount.amount) for leg in legs} == {
        (WALLET, net),
        (BANKROLL, -net),
    }
    posting = bet_played_at_once(bet, legs, at=NOW)  # balanced, or Transaction raises
    assert posting.id == bet.placed_transaction_id
    assert posting.kind is (TransactionKind.WIN if state is BetState.WON else TransactionKind.LOSS)
    # The settlement's key and reference: a bet's key scheme does not change (docs/ledger.md).
    assert posting.idempotency_key == f"bet:{bet.id}:settle"
    assert posting.reference == f"bet:{bet.id}"
    assert posting.metadata == {"bet_id": str(bet.id), "game": "coin"}


def test_the_locked_road_keeps_the_placement_and_the_settlement() -> None:
    decided = _first(BetState.WON, balance=None)  # the locked road reads no balance
    assert decided.settled_at_once
    assert not decided.posted_at_once
    assert decided.final.settlement_transaction_id != decided.final.placed_transaction_id
    with pytest.raises(IllegalTransition):
        bet_played_at_once(decided.final, (), at=NOW)
    legs = decided.final.settlement_legs(WALLET, 13, BANKROLL)
    assert bet_settlement(decided.final, legs, at=NOW).kind is TransactionKind.WIN


def test_a_bet_that_pays_its_stake_back_keeps_two_transactions() -> None:
    decided = _first(BetState.WON, stake=1)  # 1 × 1.98, rounded down: the stake back
    assert decided.final.payout == 1
    assert decided.final.instant_legs(WALLET, BANKROLL) == ()
    assert not decided.posted_at_once
    assert decided.final.settlement_transaction_id != decided.final.placed_transaction_id


def test_an_open_bet_has_no_instant_legs() -> None:
    placed = _first(BetState.WON).placed
    assert not placed.posted_at_once
    with pytest.raises(IllegalTransition):
        placed.instant_legs(WALLET, BANKROLL)
