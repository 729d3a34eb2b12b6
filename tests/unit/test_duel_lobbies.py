"""A duel lobby's rules with N seats: joining, leaving, starting, the pot and the cut (rounded
as a duel's), ties among the highest rolled again by those seats alone, refunds, and the
postings each step makes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.duel_lobbies import AlreadySeated, Lobby, LobbyState
from domain.duel_lobby_postings import (
    lobby_leave,
    lobby_refund,
    lobby_settlement,
    lobby_stake,
)
from domain.duels import DuelRules, NotYourDuel
from domain.errors import IllegalTransition, InvalidRequest
from domain.ledger import TransactionKind
from domain.money import XTR, Money

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
ROLL = timedelta(minutes=5)
OPENER = 100


def lobby(stake: int = 10, *, seats: int = 10, cut_bps: int = 500, max_ties: int = 2) -> Lobby:
    return Lobby.open(
        uuid.uuid4(),
        chat_id=-100,
        opener_id=OPENER,
        stake=Money(stake, XTR),
        game="🎲",
        max_seats=seats,
        rules=DuelRules(cut_bps=cut_bps, max_ties=max_ties),
        now=NOW,
    )


def with_players(n: int, **kwargs: int) -> Lobby:
    lob = lobby(**kwargs)
    for player in range(1, n):
        lob = lob.join(OPENER + player, NOW, ROLL)
    return lob


def roll(lob: Lobby, *values: int) -> Lobby:
    """The values in the order the lobby asks for its dice."""
    for n, value in enumerate(values):
        seat = lob.seat_to_roll
        assert seat is not None, (lob.state, values)
        lob = lob.record_roll(seat, value, 1000 + n, NOW)
    return lob


def test_pot_cut_and_prize_grow_with_the_seats() -> None:
    lob = with_players(2)
    assert (lob.pot, lob.cut, lob.prize) == (Money(20, XTR), Money(1, XTR), Money(19, XTR))
    lob = with_players(3, stake=10)
    # 5% of 30 is 1.5: rounded up in the house's favour, as a duel's cut.
    assert (lob.pot, lob.cut, lob.prize) == (Money(30, XTR), Money(2, XTR), Money(28, XTR))
    lob = with_players(10, stake=10)
    assert (lob.pot, lob.cut, lob.prize) == (Money(100, XTR), Money(5, XTR), Money(95, XTR))


def test_a_stake_the_two_seat_cut_would_eat_is_refused() -> None:
    with pytest.raises(InvalidRequest):
        lobby(1)
    assert lobby(1, cut_bps=0).stake == Money(1, XTR)


@pytest.mark.parametrize("seats", [1, 11])
def test_seats_are_two_to_ten(seats: int) -> None:
    with pytest.raises(InvalidRequest):
        lobby(seats=seats)


def test_the_last_seat_starts_the_lobby_and_no_one_joins_after() -> None:
    lob = with_players(2, seats=3)
    assert lob.state is LobbyState.OPEN
    full = lob.join(999, NOW, ROLL)
    assert full.state is LobbyState.ROLLING
    assert full.deadline == NOW + ROLL
    with pytest.raises(IllegalTransition):
        full.join(1000, NOW, ROLL)


def test_a_player_takes_one_seat_and_does_not_come_back() -> None:
    lob = with_players(2)
    with pytest.raises(AlreadySeated):
        lob.join(OPENER + 1, NOW, ROLL)
    left, seat = lob.leave(OPENER + 1, NOW)
    assert seat.number == 2
    assert not seat.seated
    assert left.players == (OPENER,)
    with pytest.raises(AlreadySeated):
        left.join(OPENER + 1, NOW, ROLL)
    # The next seat is number 3: seat 2's stake and its return keep their keys.
    assert left.join(555, NOW, ROLL).seat_of(555).number == 3  # type: ignore[union-attr]


def test_the_opener_cannot_leave_and_a_stranger_cannot_either() -> None:
    lob = with_players(2)
    with pytest.raises(NotYourDuel):
        lob.leave(OPENER, NOW)
    with pytest.raises(NotYourDuel):
        lob.leave(777, NOW)


def test_only_the_opener_starts_with_two_seats_or_more() -> None:
    alone = lobby()
    with pytest.raises(IllegalTransition):
        alone.start(OPENER, NOW, ROLL)
    lob = with_players(3)
    with pytest.raises(NotYourDuel):
        lob.start(OPENER + 1, NOW, ROLL)
    started = lob.start(OPENER, NOW, ROLL)
    assert started.state is LobbyState.ROLLING
    assert started.seat_to_roll == 1
    with pytest.raises(IllegalTransition):
        started.start(OPENER, NOW, ROLL)  # a double Start
    with pytest.raises(IllegalTransition):
        started.leave(OPENER + 1, NOW)  # no leaving once started


def test_not_started_in_time_expires_and_not_rolled_in_time_refunds() -> None:
    lob = with_players(2)
    late = lob.deadline
    with pytest.raises(IllegalTransition):
        lob.join(999, late, ROLL)
    with pytest.raises(IllegalTransition):
        lob.start(OPENER, late, ROLL)
    assert lob.expire(late).state is LobbyState.EXPIRED
    started = lob.start(OPENER, NOW, ROLL)
    with pytest.raises(IllegalTransition):
        started.expire(NOW)
    half = roll(started, 4)
    refunded = half.expire(NOW + ROLL)
    assert refunded.state is LobbyState.REFUNDED
    assert refunded.escrowed.is_zero()


def test_the_highest_of_four_wins() -> None:
    lob = roll(with_players(4).start(OPENER, NOW, ROLL), 3, 6, 2, 5)
    assert lob.state is LobbyState.SETTLED
    assert lob.winner_id == OPENER + 1
    assert lob.seat_to_roll is None


def test_a_tie_at_the_top_rolls_only_the_tied_seats_again() -> None:
    lob = roll(with_players(4).start(OPENER, NOW, ROLL), 5, 2, 5, 1)
    assert lob.state is LobbyState.ROLLING
    assert lob.round == 2
    assert lob.contenders(2) == (1, 3)
    assert lob.ties == 1
    assert lob.seat_to_roll == 1
    lob = roll(lob, 3)
    assert lob.seat_to_roll == 3  # seats 2 and 4 lost in round 1: they roll no more
    lob = roll(lob, 4)
    assert lob.state is LobbyState.SETTLED
    assert lob.winner_id == OPENER + 2


def test_a_tie_below_the_top_is_no_tie() -> None:
    lob = roll(with_players(3).start(OPENER, NOW, ROLL), 2, 2, 6)
    assert lob.state is LobbyState.SETTLED
    assert lob.winner_id == OPENER + 2
    assert lob.ties == 0


def test_ties_past_the_limit_refund_every_seat() -> None:
    lob = with_players(3, max_ties=1).start(OPENER, NOW, ROLL)
    lob = roll(lob, 4, 4, 4)  # tie 1: all three again
    assert lob.state is LobbyState.ROLLING
    assert lob.contenders(2) == (1, 2, 3)
    lob = roll(lob, 6, 1, 6)  # tie 2 (past 1): refunded, seat 2 included
    assert lob.state is LobbyState.REFUNDED
    assert lob.ties == 2


def test_a_die_out_of_turn_or_out_of_range_is_refused() -> None:
    lob = with_players(2).start(OPENER, NOW, ROLL)
    with pytest.raises(IllegalTransition):
        lob.record_roll(2, 3, 1, NOW)
    with pytest.raises(InvalidRequest):
        lob.record_roll(1, 7, 1, NOW)
    with pytest.raises(IllegalTransition):
        with_players(2).record_roll(1, 3, 1, NOW)  # not started


def test_the_postings_balance_and_carry_one_key_per_step() -> None:
    lob = with_players(3)
    seat = lob.seat(2)
    stake = lobby_stake(lob, seat, uuid.uuid4(), wallet=1, escrow=9, at=NOW)
    assert stake.kind is TransactionKind.BET
    assert stake.idempotency_key == f"lobby:{lob.id}:seat:2:stake"
    left, gone = lob.leave(seat.player_id, NOW)
    back = lobby_leave(left, gone, uuid.uuid4(), wallet=1, escrow=9, at=NOW)
    assert back.idempotency_key == f"lobby:{lob.id}:seat:2:leave"
    assert [leg.amount for leg in back.legs] == [Money(-10, XTR), Money(10, XTR)]
    with pytest.raises(IllegalTransition):
        lobby_leave(lob, seat, uuid.uuid4(), wallet=1, escrow=9, at=NOW)

    won = roll(lob.start(OPENER, NOW, ROLL), 1, 2, 6)
    settle = lobby_settlement(won, uuid.uuid4(), escrow=9, winner_wallet=3, bankroll=7, at=NOW)
    assert settle.idempotency_key == f"lobby:{lob.id}:settle"
    assert {leg.account_id: leg.amount.amount for leg in settle.legs} == {9: -30, 3: 28, 7: 2}

    void = lob.expire(lob.deadline)
    wallets = {1: 11, 2: 12, 3: 13}
    refund = lobby_refund(void, uuid.uuid4(), escrow=9, wallets=wallets, at=NOW)
    assert refund.idempotency_key == f"lobby:{lob.id}:refund"
    assert {leg.account_id: leg.amount.amount for leg in refund.legs} == {
        9: -30,
        11: 10,
        12: 10,
        13: 10,
    }
    # After a leave the refund returns the seats still taken, not the one already back.
    refund = lobby_refund(
        left.expire(lob.deadline), uuid.uuid4(), escrow=9, wallets=wallets, at=NOW
    )
    assert {leg.account_id: leg.amount.amount for leg in refund.legs} == {9: -20, 11: 10, 13: 10}
    with pytest.raises(IllegalTransition):
        lobby_refund(won, uuid.uuid4(), escrow=9, wallets=wallets, at=NOW)
