"""settlement_problems: a settled bet recomputed from first principles (reconciliation)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction

from domain.bets import Bet, FairnessProof
from domain.fairness import commitment, uint32_stream
from domain.games.catalog import GAMES, GameConfig, StakeLimits
from domain.mines import MinesField, MinesState, PayoutCap
from domain.money import XTR, Money
from domain.verification import settlement_problems

NOW = datetime(2026, 11, 25, tzinfo=UTC)
SEED = "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
LIMITS = {"XTR": StakeLimits(1, 10_000, 1_000_000)}


def _settled(game: str, params: dict[str, str], outcome: int | None = None) -> Bet:
    fair = game in ("coin", "dice", "limbo", "roulette")
    config = GameConfig(game, house_edge=Fraction(1, 100), limits=LIMITS)
    placed = Bet.place(
        bet_id=uuid.uuid4(),
        player_id=7,
        config=config,
        params=params,
        stake=Money(100, XTR),
        placed_at=NOW,
        transaction_id=uuid.uuid4(),
        fairness=FairnessProof(1, 5, commitment(SEED), "client") if fair else None,
    )
    if fair:
        outcome = GAMES[game].outcome_from_words(uint32_stream(SEED, "client", 5))
    assert outcome is not None
    return placed.settle(GAMES[game], outcome, at=NOW, transaction_id=uuid.uuid4())


def test_a_rightly_settled_bet_has_no_problem() -> None:
    assert settlement_problems(_settled("dice", {"direction": "over", "target": "50"}), SEED) == []
    assert settlement_problems(_settled("tg_dice", {"bet": "high"}, outcome=6), None) == []


def test_an_outcome_that_its_seeds_do_not_give_is_reported() -> None:
    bet = _settled("coin", {"side": "heads"})
    wrong = replace(bet, outcome=1 - (bet.outcome or 0))
    assert any("recomputed from its seeds" in p for p in settlement_problems(wrong, SEED))


def test_a_payout_or_state_that_its_outcome_does_not_give_is_reported() -> None:
    bet = _settled("tg_dice", {"bet": "high"}, outcome=6)
    overpaid = replace(bet, payout=(bet.payout or 0) + 1)
    assert settlement_problems(overpaid, None) == [
        f"payout {overpaid.payout}, recomputed {bet.payout}"
    ]


def test_another_seed_or_none_is_reported() -> None:
    bet = _settled("limbo", {"target": "2"})
    assert any("hash shown to the player" in p for p in settlement_problems(bet, "0" * 64))
    assert settlement_problems(bet, None) == [
        "its server seed is unavailable (missing, or sealed with another key)"
    ]


def _mines_bet(revealed: tuple[int, ...]) -> tuple[Bet, MinesField]:
    """A 3-mine game on SEED/client/5 (mines at 1, 7, 21), finished after `revealed`."""
    config = GameConfig("mines", house_edge=Fraction(1, 100), limits=LIMITS)
    placed = Bet.place(
        bet_id=uuid.uuid4(),
        player_id=7,
        config=config,
        params={"mines": "3"},
        stake=Money(100, XTR),
        placed_at=NOW,
        transaction_id=uuid.uuid4(),
        fairness=FairnessProof(1, 5, commitment(SEED), "client"),
    )
    field = MinesField.open(placed.id, 7, "XTR", (1, 21, 7), NOW)
    for tile in revealed:
        field = field.reveal(tile, NOW, PayoutCap.of(placed))
    if field.state is MinesState.OPEN:
        field = field.cash_out(NOW)
    settled = placed.settle(GAMES["mines"], field.outcome, at=NOW, transaction_id=uuid.uuid4())
    return settled, field


def test_a_rightly_settled_mines_game_has_no_problem() -> None:
    for revealed in ((0, 2), (0, 21)):
        bet, field = _mines_bet(revealed)
        assert settlement_problems(bet, SEED, field) == []


def test_a_mines_game_is_recomputed_from_its_seeds_and_its_tiles() -> None:
    bet, field = _mines_bet((0, 2))
    moved = replace(field, positions=(3, 21, 7))
    assert any("mines at [3, 7, 21]" in p for p in settlement_problems(bet, SEED, moved))
    # The stored field hides a mine that was pressed: the tiles replay to a loss.
    lost, busted = _mines_bet((0, 21))
    paid = replace(lost, outcome=2)
    assert any("recomputed from its seeds 0" in p for p in settlement_problems(paid, SEED, busted))
    assert "its mines field is missing or unreadable" in settlement_problems(bet, SEED, None)
