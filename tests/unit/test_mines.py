"""Mines in the domain: the shuffle, the multipliers, the exact RTP of every stopping strategy
for every mine count, and the field's steps."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from fractions import Fraction
from math import comb

import pytest

from domain.errors import IllegalTransition, InvalidRequest
from domain.fairness import uint32_stream
from domain.games.base import MULTIPLIER_DECIMALS, Selection
from domain.games.catalog import GAMES, GameConfig
from domain.games.mines import (
    MAX_MINES,
    MIN_MINES,
    TILES,
    Mines,
    cash_out_multiplier,
    exact_multiplier,
    mine_positions,
    shuffle_bias_bound,
    stopping_rtp,
    survival,
)
from domain.mines import MinesField, MinesState

SEED = "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
NOW = datetime(2026, 12, 3, tzinfo=UTC)
EDGE = Fraction(1, 100)
ALL_MINES = range(MIN_MINES, MAX_MINES + 1)


def _stake_shuffle(server_seed: str, client_seed: str, nonce: int, mines: int) -> list[int]:
    """Stake's published mines rule written as a verifier writes it, with the float formula
    (bytes over 256, 256², ...) instead of the integer words the game uses."""
    floats = []
    for round_ in range(4):
        block = hmac.new(
            server_seed.encode(), f"{client_seed}:{nonce}:{round_}".encode(), hashlib.sha256
        ).digest()
        for i in range(0, 32, 4):
            floats.append(sum(b / 256 ** (k + 1) for k, b in enumerate(block[i : i + 4])))
    remaining = list(range(25))
    return [remaining.pop(int(floats[i] * (25 - i))) for i in range(mines)]


def test_mines_is_a_listed_game() -> None:
    assert isinstance(GAMES["mines"], Mines)


@pytest.mark.parametrize("mines", ALL_MINES)
def test_the_positions_are_stakes_shuffle(mines: int) -> None:
    for nonce in range(5):
        got = mine_positions(uint32_stream(SEED, "client", nonce), mines)
        assert list(got) == _stake_shuffle(SEED, "client", nonce, mines)
        assert len(set(got)) == mines


def test_known_positions() -> None:
    assert mine_positions(uint32_stream(SEED, "client", 5), 3) == (1, 21, 7)
    assert mine_positions(uint32_stream(SEED, "client", 5), 1) == (1,)


def test_the_multiplier_is_the_exact_formula_cut_never_rounded_up() -> None:
    # 3 mines, 1 safe tile: 0.99 * 25 / 22 = 1.125 exactly.
    assert cash_out_multiplier(3, 1, EDGE) == Fraction(1125, 1000)
    # 1 mine, 1 safe tile: 0.99 * 25 / 24 = 1.03125, cut to 1.0312.
    assert cash_out_multiplier(1, 1, EDGE) == Fraction(10312, 10000)
    scale = 10**MULTIPLIER_DECIMALS
    for mines in ALL_MINES:
        for safe in range(1, TILES - mines + 1):
            exact = exact_multiplier(mines, safe, EDGE)
            cut = cash_out_multiplier(mines, safe, EDGE)
            assert cut <= exact < cut + Fraction(1, scale)
            assert (cut * scale).denominator == 1


@pytest.mark.parametrize("mines", ALL_MINES)
def test_every_stopping_strategy_returns_at_most_one_minus_the_edge(mines: int) -> None:
    """A strategy is when to cash out: which tiles does not matter, as any k tiles are all
    safe with probability C(25-M, k) / C(25, k). Exact, for every k."""
    for safe in range(1, TILES - mines + 1):
        p = Fraction(comb(TILES - mines, safe), comb(TILES, safe))
        assert survival(mines, safe) == p
        rtp = stopping_rtp(mines, safe, EDGE)
        assert rtp == p * cash_out_multiplier(mines, safe, EDGE)
        assert rtp <= 1 - EDGE
        if cash_out_multiplier(mines, safe, EDGE) == exact_multiplier(mines, safe, EDGE):
            assert rtp == 1 - EDGE  # not cut: exactly the configured return
        else:
            assert rtp < 1 - EDGE
    assert Mines().rtp(Selection("mines", mines), EDGE) == max(
        stopping_rtp(mines, k, EDGE) for k in range(1, TILES - mines + 1)
    )


def test_some_multipliers_are_exact_and_some_are_cut() -> None:
    exact = [
        (m, k)
        for m in ALL_MINES
        for k in range(1, TILES - m + 1)
        if cash_out_multiplier(m, k, EDGE) == exact_multiplier(m, k, EDGE)
    ]
    assert (24, 1) in exact
    assert (3, 1) in exact
    assert (1, 1) not in exact


def test_the_word_level_bias_is_bounded() -> None:
    """32-bit words do not split into 25 (or 24, ...) equal parts: any one placement of the
    mines is at most `shuffle_bias_bound` times as likely as on a uniform shuffle."""
    for mines in ALL_MINES:
        assert 1 < shuffle_bias_bound(mines) < 1 + Fraction(6, 10**8)


def test_mines_limits_use_the_largest_multiplier() -> None:
    game = Mines()
    assert game.max_multiplier(Selection("mines", 24), EDGE) == Fraction(2475, 100)
    assert game.max_multiplier(Selection("mines", 1), EDGE) == Fraction(2475, 100)
    assert game.multiplier(Selection("mines", 3), 0, EDGE) == 0
    GameConfig("mines", house_edge=EDGE)  # the RTP check passes for every mine count


@pytest.mark.parametrize("params", [{}, {"mines": "0"}, {"mines": "25"}, {"mines": "x"}])
def test_bad_mine_counts_are_refused(params: dict[str, str]) -> None:
    with pytest.raises(InvalidRequest):
        Mines().parse(params)


def test_the_outcome_comes_from_steps_not_from_words_alone() -> None:
    with pytest.raises(InvalidRequest, match="steps"):
        Mines().outcome_from_words(uint32_stream(SEED, "client", 5))
    words = lambda: uint32_stream(SEED, "client", 5)  # noqa: E731 - read twice
    assert Mines().replay(words(), Selection("mines", 3), [0, 2]) == 2
    assert Mines().replay(words(), Selection("mines", 3), [0, 21]) == 0


def _field(positions: tuple[int, ...] = (1, 21, 7)) -> MinesField:
    return MinesField.open(uuid.uuid4(), 7, "XTR", positions, NOW)


def test_reveal_safe_tiles_then_cash_out() -> None:
    field = _field().reveal(0, NOW).reveal(2, NOW)
    assert field.state is MinesState.OPEN
    assert field.safe_count == 2
    assert field.multiplier(EDGE) == cash_out_multiplier(3, 2, EDGE)
    assert field.next_multiplier(EDGE) == cash_out_multiplier(3, 3, EDGE)
    done = field.cash_out(NOW)
    assert done.state is MinesState.CASHED_OUT
    assert done.outcome == 2
    assert done.cash_out(NOW) is done  # a repeat changes nothing
    assert done.reveal(2, NOW) is done  # so does a repeated press
    with pytest.raises(IllegalTransition, match="over"):
        done.reveal(3, NOW)


def test_a_mine_ends_the_game_with_outcome_zero() -> None:
    field = _field().reveal(0, NOW).reveal(21, NOW)
    assert field.state is MinesState.BUSTED
    assert field.outcome == 0
    assert field.revealed == (0, 21)
    assert field.multiplier(EDGE) == 0
    assert field.next_multiplier(EDGE) is None
    assert field.reveal(21, NOW) is field
    with pytest.raises(IllegalTransition, match="mine"):
        field.cash_out(NOW)


def test_no_cash_out_before_a_tile_and_the_last_safe_tile_cashes_out() -> None:
    with pytest.raises(IllegalTransition, match="reveal a safe tile"):
        _field().cash_out(NOW)
    assert _field().multiplier(EDGE) == 1
    field = _field(tuple(range(1, 25)))  # 24 mines: tile 0 is the only safe one
    done = field.reveal(0, NOW)
    assert done.state is MinesState.CASHED_OUT
    assert done.outcome == 1
    assert done.multiplier(EDGE) == Fraction(2475, 100)


@pytest.mark.parametrize("tile", [-1, 25, 1000])
def test_a_tile_off_the_field_is_refused(tile: int) -> None:
    with pytest.raises(InvalidRequest, match="0-24"):
        _field().reveal(tile, NOW)
