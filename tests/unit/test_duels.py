"""A duel's rules: pot, house cut (rounded in the house's favour), ties, refunds, and the
postings each step makes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.duels import Duel, DuelRules, DuelState, Seat, house_cut
from domain.duels_postings import duel_refund, duel_settlement, duel_stake
from domain.errors import IllegalTransition, InvalidRequest
from domain.ledger import TransactionKind
from domain.money import XTR, Money

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
A, B = 101, 202


def duel(stake: int = 10, *, cut_bps: int = 500, max_ties: int = 2, game: str = "🎲") -> Duel:
    return Duel.challenge(
        uuid.uuid4(),
        chat_id=-100,
        challenger_id=A,
        challenged_id=B,
        stake=Money(stake, XTR),
        game=game,
        rules=DuelRules(cut_bps=cut_bps, max_ties=max_ties),
        now=NOW,
    )


def rolled(d: Duel, *values: tuple[int, int]) -> Duel:
    for n, (a, b) in enumerate(values):
        d = d.record_roll(Seat.CHALLENGER, a, 2 * n + 1, NOW)
        d = d.record_roll(Seat.CHALLENGED, b, 2 * n + 2, NOW)
    return d


def accepted(d: Duel) -> Duel:
    return d.accept(B, NOW, timedelta(minutes=5))


def test_pot_cut_and_prize_in_numbers() -> None:
    d = duel(10, cut_bps=500)
    assert (d.pot.amount, d.cut.amount, d.prize.amount) == (20, 1, 19)


def test_the_cut_rounds_up_in_the_house_favour() -> None:
    # 5% of 15 is 0.75: the house takes 1, the winner 14.
    assert house_cut(Money(15, XTR), 500).amount == 1
    assert house_cut(Money(20, XTR), 500).amount == 1
    assert house_cut(Money(21, XTR), 500).amount == 2
    assert house_cut(Money(1000, XTR), 0).amount == 0
    # docs/duels.md: stakes of 15 make a pot of 30, whose 5% is 1.5: the cut is 2.
    assert (duel(15).cut.amount, duel(15).prize.amount) == (2, 28)
    assert duel(20).cut.amount == 2


def test_a_stake_the_cut_would_swallow_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="too small"):
        duel(1, cut_bps=500)  # pot 2, cut 1: the winner would get no more than their stake
    assert duel(2, cut_bps=500).prize.amount == 3


def test_the_higher_value_wins_the_pot_less_the_cut() -> None:
    d = rolled(accepted(duel(10)), (3, 5))
    assert d.state is DuelState.SETTLED
    assert d.winner_id == B
    assert d.finished_at == NOW


def test_a_tie_rolls_again_then_settles() -> None:
    d = rolled(accepted(duel(10, max_ties=2)), (4, 4))
    assert d.state is DuelState.ROLLING
    assert (d.round, d.ties, d.seat_to_roll) == (2, 1, Seat.CHALLENGER)
    d = rolled(d, (6, 2))
    assert (d.state, d.winner_id, d.round) == (DuelState.SETTLED, A, 2)


def test_ties_past_the_limit_refund_both() -> None:
    d = rolled(accepted(duel(10, max_ties=2)), (4, 4), (1, 1))
    assert d.state is DuelState.ROLLING
    d = rolled(d, (2, 2))  # the third tie, past max_ties = 2
    assert d.state is DuelState.REFUNDED
    assert d.ties == 3
    assert d.winner_id is None


def test_dice_come_in_turn_and_in_range() -> None:
    d = accepted(duel(10, game="🏀"))
    with pytest.raises(IllegalTransition, match="challenger"):
        d.record_roll(Seat.CHALLENGED, 3, 1, NOW)
    with pytest.raises(InvalidRequest, match="1 to 5"):
        d.record_roll(Seat.CHALLENGER, 6, 1, NOW)
    with pytest.raises(IllegalTransition, match="not rolling"):
        duel(10).record_roll(Seat.CHALLENGER, 3, 1, NOW)


def test_only_the_challenged_accepts_or_declines_and_only_in_time() -> None:
    d = duel(10)
    with pytest.raises(IllegalTransition, match="only the challenged"):
        d.accept(A, NOW, timedelta(minutes=5))
    with pytest.raises(IllegalTransition, match="only the challenged"):
        d.decline(A, NOW)
    with pytest.raises(IllegalTransition, match="in time"):
        d.accept(B, d.deadline, timedelta(minutes=5))
    assert d.decline(B, NOW).state is DuelState.DECLINED
    with pytest.raises(IllegalTransition):
        accepted(d).accept(B, NOW, timedelta(minutes=5))


def test_overdue_duels_expire_or_refund() -> None:
    d = duel(10)
    assert not d.is_overdue(NOW)
    with pytest.raises(IllegalTransition, match="not overdue"):
        d.expire(NOW)
    assert d.expire(d.deadline).state is DuelState.EXPIRED
    a = accepted(d)
    assert a.expire(a.deadline).state is DuelState.REFUNDED
    assert not rolled(a, (1, 2)).is_overdue(a.deadline)  # settled: final


def test_escrow_holds_one_stake_then_two_then_none() -> None:
    d = duel(10)
    assert d.escrowed.amount == 10
    assert accepted(d).escrowed.amount == 20
    assert rolled(accepted(d), (5, 1)).escrowed.amount == 0
    assert d.decline(B, NOW).escrowed.amount == 0


def test_a_duel_with_yourself_or_an_unknown_game_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="themselves"):
        Duel.challenge(
            uuid.uuid4(),
            chat_id=1,
            challenger_id=A,
            challenged_id=A,
            stake=Money(10, XTR),
            game="🎲",
            rules=DuelRules(),
            now=NOW,
        )
    with pytest.raises(InvalidRequest, match="played with"):
        duel(10, game="🎰")


def test_postings_balance_and_carry_one_key_per_step() -> None:
    d = duel(10)
    stake = duel_stake(d, Seat.CHALLENGER, uuid.uuid4(), wallet=1, escrow=9, at=NOW)
    assert stake.kind is TransactionKind.BET
    assert stake.idempotency_key == f"duel:{d.id}:stake:challenger"
    settled = rolled(accepted(d), (6, 1))
    pay = duel_settlement(settled, uuid.uuid4(), escrow=9, winner_wallet=1, bankroll=7, at=NOW)
    assert {leg.account_id: leg.amount.amount for leg in pay.legs} == {9: -20, 1: 19, 7: 1}
    assert pay.idempotency_key == f"duel:{d.id}:settle"
    refund = duel_refund(
        d.decline(B, NOW),
        DuelState.CHALLENGED,
        uuid.uuid4(),
        escrow=9,
        wallets={Seat.CHALLENGER: 1},
        at=NOW,
    )
    assert {leg.account_id: leg.amount.amount for leg in refund.legs} == {9: -10, 1: 10}
    both = rolled(accepted(d), (1, 1), (2, 2), (3, 3))
    refund = duel_refund(
        both,
        DuelState.ROLLING,
        uuid.uuid4(),
        escrow=9,
        wallets={Seat.CHALLENGER: 1, Seat.CHALLENGED: 2},
        at=NOW,
    )
    assert {leg.account_id: leg.amount.amount for leg in refund.legs} == {9: -20, 1: 10, 2: 10}
    with pytest.raises(IllegalTransition):
        duel_settlement(both, uuid.uuid4(), escrow=9, winner_wallet=1, bankroll=7, at=NOW)


def test_a_zero_cut_pays_the_whole_pot() -> None:
    settled = rolled(accepted(duel(1, cut_bps=0)), (2, 1))
    pay = duel_settlement(settled, uuid.uuid4(), escrow=9, winner_wallet=1, bankroll=7, at=NOW)
    assert {leg.account_id: leg.amount.amount for leg in pay.legs} == {9: -2, 1: 2}
