"""The player-standing policy (domain.standing): what each standing allows, operation by
operation, and the error that refuses the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import Forbidden, IllegalTransition
from domain.players import PlayerStatus
from domain.responsible import Exclusion, ResponsibleGamblingRefusal, TimeoutPeriod
from domain.standing import (
    REFUSED_BY,
    Operation,
    PlayerBlocked,
    PlayerStanding,
    Rule,
    TermsNotAccepted,
    WithdrawalFrozen,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
GOOD = PlayerStanding(1, PlayerStatus.ACTIVE, terms_accepted=True)
BLOCKED = PlayerStanding(1, PlayerStatus.BLOCKED, terms_accepted=True)
NO_TERMS = PlayerStanding(1, PlayerStatus.ACTIVE, terms_accepted=False)
TIMED_OUT = GOOD.with_exclusion(Exclusion.timeout(1, TimeoutPeriod("24h"), NOW))


def test_a_player_in_good_standing_may_do_everything() -> None:
    for operation in Operation:
        GOOD.require(operation, NOW)


@pytest.mark.parametrize("operation", list(Operation))
def test_a_blocked_player_moves_no_money_of_their_own_and_is_paid_what_is_owed(
    operation: Operation,
) -> None:
    """A blocked player may still ask to withdraw (the request waits, frozen, for staff):
    money is never stuck behind a block."""
    refusal = BLOCKED.refusal(operation, NOW)
    gambling = (Operation.BET, Operation.PLAY_ON)
    if operation in (*gambling, Operation.DEPOSIT, Operation.PROMOTION):
        assert isinstance(refusal, PlayerBlocked)
        assert isinstance(refusal, Forbidden)
        assert refusal.rule is Rule.BLOCKED
    elif operation is Operation.PAY_OUT:
        # Frozen, not forbidden to the staff member asking: a 409 for whoever approves.
        assert isinstance(refusal, WithdrawalFrozen)
        assert isinstance(refusal, IllegalTransition)
        assert "frozen" in refusal.message
    else:
        assert refusal is None


def test_terms_not_accepted_close_bets_tiles_deposits_and_withdrawals() -> None:
    for operation in Operation:
        refusal = NO_TERMS.refusal(operation, NOW)
        closed = (
            Operation.BET,
            Operation.PLAY_ON,
            Operation.DEPOSIT,
            Operation.WITHDRAW,
            Operation.PROMOTION,
        )
        if operation in closed:
            assert isinstance(refusal, TermsNotAccepted)
            assert refusal.code == "terms_not_accepted"
        else:
            assert refusal is None


def test_an_exclusion_closes_bets_and_deposits_until_it_ends_but_never_withdrawals() -> None:
    refusal = TIMED_OUT.refusal(Operation.BET, NOW)
    assert isinstance(refusal, ResponsibleGamblingRefusal)
    assert refusal.rule == "timeout"
    assert isinstance(TIMED_OUT.refusal(Operation.DEPOSIT, NOW), ResponsibleGamblingRefusal)
    # Another tile of a game already open is gambling too; collecting it (SETTLE) is not.
    assert isinstance(TIMED_OUT.refusal(Operation.PLAY_ON, NOW), ResponsibleGamblingRefusal)
    # No bonus, rakeback or commission reaches a player on a break (docs/bonuses.md).
    assert isinstance(TIMED_OUT.refusal(Operation.PROMOTION, NOW), ResponsibleGamblingRefusal)
    for operation in (Operation.WITHDRAW, Operation.PAY_OUT, Operation.SETTLE):
        assert TIMED_OUT.refusal(operation, NOW) is None
    later = NOW + timedelta(hours=24, seconds=1)
    assert TIMED_OUT.refusal(Operation.BET, later) is None


def test_the_first_fact_to_settle_is_named_first() -> None:
    everything = PlayerStanding(1, PlayerStatus.BLOCKED, False, TIMED_OUT.exclusion)
    assert isinstance(everything.refusal(Operation.BET, NOW), PlayerBlocked)
    no_terms_excluded = NO_TERMS.with_exclusion(TIMED_OUT.exclusion)
    assert isinstance(no_terms_excluded.refusal(Operation.BET, NOW), TermsNotAccepted)
    assert no_terms_excluded.rules(NOW) == {Rule.TERMS_NOT_ACCEPTED, Rule.EXCLUDED}


def test_what_is_owed_to_a_player_is_never_refused() -> None:
    assert REFUSED_BY[Operation.SETTLE] == frozenset()
    assert REFUSED_BY[Operation.ADJUST] == frozenset()


def test_kyc_is_a_fact_of_the_standing_that_refuses_nothing_by_itself() -> None:
    from domain.players import KycStatus

    unverified = PlayerStanding(1, PlayerStatus.ACTIVE, True, kyc=KycStatus.UNVERIFIED)
    for operation in Operation:
        assert unverified.refusal(operation, NOW) is None  # the withdrawal rules weigh it
    assert unverified.rules(NOW) == frozenset()


def test_only_a_player_who_may_bet_may_play() -> None:
    assert GOOD.may_play(NOW)
    for stopped in (BLOCKED, NO_TERMS, TIMED_OUT):
        assert not stopped.may_play(NOW)
    # A time-out ends: play is allowed again.
    assert TIMED_OUT.may_play(NOW + timedelta(days=2))
