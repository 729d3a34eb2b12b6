"""The bet lifecycle in the domain: explicit states, legal transitions, balanced legs."""

from __future__ import annotations

import uuid
from dataclasses import fields, replace
from datetime import UTC, datetime
from fractions import Fraction

import pytest

from domain.bets import Bet, BetState, DiceThrow, FairnessProof
from domain.errors import IdempotencyConflict, IllegalTransition, InvalidRequest, LimitExceeded
from domain.games.base import OutcomeSource
from domain.games.catalog import GAMES, GameConfig, StakeLimits, payout_for
from domain.ledger import Transaction, TransactionKind
from domain.money import XTR, Money

NOW = datetime(2026, 11, 24, tzinfo=UTC)
WALLET, IN_PLAY, BANKROLL = 1, 2, 3
CONFIG = GameConfig(
    "tg_dice", house_edge=Fraction(3, 100), limits={"XTR": StakeLimits(1, 1000, 10_000)}
)


def _bet(params: dict[str, str] | None = None, stake: int = 100) -> Bet:
    return Bet.place(
        bet_id=uuid.uuid4(),
        player_id=7,
        config=CONFIG,
        params=params or {"bet": "face", "face": "6"},
        stake=Money(stake, XTR),
        placed_at=NOW,
        transaction_id=uuid.uuid4(),
    )


def _balanced(legs: tuple) -> bool:  # type: ignore[type-arg]
    Transaction(uuid.uuid4(), TransactionKind.BET, "k", legs, NOW)  # raises if unbalanced
    return True


def test_a_win_pays_stake_times_multiplier_from_in_play_and_bankroll() -> None:
    bet = _bet()
    assert bet.state is BetState.PLACED
    assert bet.max_payout == 582
    won = bet.settle(GAMES["tg_dice"], 6, at=NOW, transaction_id=uuid.uuid4())
    assert won.state is BetState.WON
    assert won.payout == 582
    legs = won.settlement_legs(WALLET, IN_PLAY, BANKROLL)
    assert {(leg.account_id, leg.amount.amount) for leg in legs} == {
        (IN_PLAY, -100),
        (WALLET, 582),
        (BANKROLL, -482),
    }
    assert _balanced(legs)


def test_a_loss_moves_the_stake_to_the_bankroll() -> None:
    lost = _bet().settle(GAMES["tg_dice"], 3, at=NOW, transaction_id=uuid.uuid4())
    assert lost.state is BetState.LOST
    assert lost.payout == 0
    legs = lost.settlement_legs(WALLET, IN_PLAY, BANKROLL)
    assert {(leg.account_id, leg.amount.amount) for leg in legs} == {
        (IN_PLAY, -100),
        (BANKROLL, 100),
    }


def test_void_returns_the_stake_and_needs_a_reason() -> None:
    bet = _bet()
    with pytest.raises(InvalidRequest, match="reason"):
        bet.void("  ", at=NOW, transaction_id=uuid.uuid4())
    voided = bet.void("dice never arrived", at=NOW, transaction_id=uuid.uuid4())
    assert voided.state is BetState.VOIDED
    legs = voided.settlement_legs(WALLET, IN_PLAY, BANKROLL)
    assert {(leg.account_id, leg.amount.amount) for leg in legs} == {(IN_PLAY, -100), (WALLET, 100)}
    assert _balanced(bet.placement_legs(WALLET, IN_PLAY))


def test_illegal_transitions() -> None:
    game = GAMES["tg_dice"]
    won = _bet().settle(game, 6, at=NOW, transaction_id=uuid.uuid4())
    with pytest.raises(IllegalTransition, match="only a placed bet settles"):
        won.settle(game, 1, at=NOW, transaction_id=uuid.uuid4())
    with pytest.raises(IllegalTransition, match="only a placed bet is voided"):
        won.void("too late", at=NOW, transaction_id=uuid.uuid4())
    voided = _bet().void("x", at=NOW, transaction_id=uuid.uuid4())
    with pytest.raises(IllegalTransition):
        voided.settle(game, 6, at=NOW, transaction_id=uuid.uuid4())


def test_limits_are_checked_when_placing() -> None:
    with pytest.raises(LimitExceeded, match="largest stake"):
        _bet(stake=1001)
    with pytest.raises(LimitExceeded, match="pays at most"):
        Bet.place(
            bet_id=uuid.uuid4(),
            player_id=7,
            config=GameConfig("tg_slot", limits={"XTR": StakeLimits(1, 1000, 10_000)}),
            params={},
            stake=Money(1000, XTR),  # 32x jackpot = 32,000 > 10,000
            placed_at=NOW,
            transaction_id=uuid.uuid4(),
        )


def test_the_bankroll_must_cover_the_best_outcome() -> None:
    bet = _bet()
    bet.check_bankroll(482)
    with pytest.raises(LimitExceeded, match="cannot cover"):
        bet.check_bankroll(481)


def test_outcome_source_must_match_the_game() -> None:
    with pytest.raises(InvalidRequest, match="telegram_dice"):
        Bet.place(
            bet_id=uuid.uuid4(),
            player_id=7,
            config=CONFIG,
            params={"bet": "even"},
            stake=Money(5, XTR),
            placed_at=NOW,
            transaction_id=uuid.uuid4(),
            fairness=FairnessProof(1, 0, "0" * 64, "c"),
        )


def test_a_repeated_request_must_match() -> None:
    bet = _bet({"bet": "even"})
    game = GAMES["tg_dice"]
    bet.require_same_request(game, {"bet": " EVEN "}, Money(100, XTR), 7)  # canonicalised
    with pytest.raises(IdempotencyConflict):
        bet.require_same_request(game, {"bet": "odd"}, Money(100, XTR), 7)
    with pytest.raises(IdempotencyConflict):
        bet.require_same_request(game, {"bet": "even"}, Money(101, XTR), 7)
    with pytest.raises(IdempotencyConflict):
        bet.require_same_request(game, {"bet": "even"}, Money(100, XTR), 8)


def _settled_by_replace(bet: Bet, game_code: str, outcome: int, tx: uuid.UUID) -> Bet:
    """`Bet.settle` as it was written before it named every field (dataclasses.replace)."""
    game = GAMES[game_code]
    multiplier = game.multiplier(bet.selection, outcome, bet.house_edge)
    payout = payout_for(bet.stake.amount, multiplier)
    return replace(
        bet,
        state=BetState.WON if payout > 0 else BetState.LOST,
        outcome=outcome,
        multiplier=multiplier,
        payout=payout,
        settled_at=NOW,
        settlement_transaction_id=tx,
    )


@pytest.mark.parametrize("code", ["coin", "dice", "roulette", "tg_dice"])
def test_settling_builds_the_very_bet_replace_built(code: str) -> None:
    """`settle` constructs the settled bet field by field: for every selection and outcome
    sampled it equals, field for field, what `dataclasses.replace` made of the placed bet,
    including the fields settling leaves alone (dice, fairness, params)."""
    game = GAMES[code]
    config = GameConfig(
        code, house_edge=Fraction(3, 100), limits={"XTR": StakeLimits(1, 10**6, 10**9)}
    )
    selections = list(game.selections())
    outcomes = [outcome for outcome, _ in game.outcomes()]
    fair = game.source is OutcomeSource.PROVABLY_FAIR
    for selection in selections[:: max(1, len(selections) // 12)]:
        placed = Bet.place(
            bet_id=uuid.uuid4(),
            player_id=7,
            config=config,
            params=game.params(selection),
            stake=Money(100, XTR),
            placed_at=NOW,
            transaction_id=uuid.uuid4(),
            fairness=FairnessProof(5, 9, "h" * 64, "client") if fair else None,
        )
        if not fair:
            placed = replace(placed, dice=DiceThrow(chat_id=-100, message_id=42))
        for outcome in outcomes[:: max(1, len(outcomes) // 12)]:
            tx = uuid.uuid4()
            settled = placed.settle(game, outcome, at=NOW, transaction_id=tx)
            expected = _settled_by_replace(placed, code, outcome, tx)
            assert settled == expected
            assert {f.name: getattr(settled, f.name) for f in fields(Bet)} == {
                f.name: getattr(expected, f.name) for f in fields(Bet)
            }
