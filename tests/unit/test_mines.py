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

from domain.bets import Bet, FairnessProof
from domain.errors import IllegalTransition, InvalidRequest, LimitExceeded
from domain.fairness import uint32_stream
from domain.games.base import MULTIPLIER_DECIMALS, Selection, payout_for
from domain.games.catalog import GAMES, GameConfig, StakeLimits
from domain.games.mines import (
    MAX_MINES,
    MIN_MINES,
    TILES,
    Mines,
    cash_out_multiplier,
    exact_multiplier,
    mine_positions,
    safe_tiles_within,
    shuffle_bias_bound,
    step_multipliers,
    stopping_rtp,
    survival,
)
from domain.mines import MinesField, MinesState, OverPayoutLimit, PayoutCap
from domain.money import XTR, Money

SEED = "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
NOW = datetime(2026, 12, 3, tzinfo=UTC)
EDGE = Fraction(1, 100)
ALL_MINES = range(MIN_MINES, MAX_MINES + 1)
# A 1-Star game whose limit every tile fits under.
UNCAPPED = PayoutCap(Money(1, XTR), EDGE, 10**9)


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


def test_the_largest_multiplier_is_after_the_last_safe_tile() -> None:
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
    field = _field().reveal(0, NOW, UNCAPPED).reveal(2, NOW, UNCAPPED)
    assert field.state is MinesState.OPEN
    assert field.safe_count == 2
    assert field.multiplier(EDGE) == cash_out_multiplier(3, 2, EDGE)
    assert field.next_multiplier(UNCAPPED) == cash_out_multiplier(3, 3, EDGE)
    done = field.cash_out(NOW)
    assert done.state is MinesState.CASHED_OUT
    assert done.outcome == 2
    assert done.cash_out(NOW) is done  # a repeat changes nothing
    assert done.reveal(2, NOW, UNCAPPED) is done  # so does a repeated press
    with pytest.raises(IllegalTransition, match="over"):
        done.reveal(3, NOW, UNCAPPED)


def test_a_mine_ends_the_game_with_outcome_zero() -> None:
    field = _field().reveal(0, NOW, UNCAPPED).reveal(21, NOW, UNCAPPED)
    assert field.state is MinesState.BUSTED
    assert field.outcome == 0
    assert field.revealed == (0, 21)
    assert field.multiplier(EDGE) == 0
    assert field.next_multiplier(UNCAPPED) is None
    assert field.reveal(21, NOW, UNCAPPED) is field
    with pytest.raises(IllegalTransition, match="mine"):
        field.cash_out(NOW)


def test_no_cash_out_before_a_tile_and_the_last_safe_tile_cashes_out() -> None:
    with pytest.raises(IllegalTransition, match="reveal a safe tile"):
        _field().cash_out(NOW)
    assert _field().multiplier(EDGE) == 1
    field = _field(tuple(range(1, 25)))  # 24 mines: tile 0 is the only safe one
    done = field.reveal(0, NOW, UNCAPPED)
    assert done.state is MinesState.CASHED_OUT
    assert done.outcome == 1
    assert done.multiplier(EDGE) == Fraction(2475, 100)


@pytest.mark.parametrize("tile", [-1, 25, 1000])
def test_a_tile_off_the_field_is_refused(tile: int) -> None:
    with pytest.raises(InvalidRequest, match="0-24"):
        _field().reveal(tile, NOW, UNCAPPED)


# -- the payout cap: a game pays at most its limit, and opens when its first tile fits --------

# The defaults every game ships with (revision 0002): a bet pays at most 1,000,000 Stars.
DEFAULT_XTR = {"XTR": StakeLimits(1, 10_000, 1_000_000)}
CONFIG = GameConfig("mines", house_edge=EDGE, limits=DEFAULT_XTR)


def _placed(mines: int, stake: int, config: GameConfig = CONFIG) -> Bet:
    return Bet.place(
        bet_id=uuid.uuid4(),
        player_id=7,
        config=config,
        params={"mines": str(mines)},
        stake=Money(stake, XTR),
        placed_at=NOW,
        transaction_id=uuid.uuid4(),
        fairness=FairnessProof(1, 5, "h" * 64, "client"),
    )


@pytest.mark.parametrize("mines", ALL_MINES)
@pytest.mark.parametrize("stake", [1, 7, 10_000])
def test_every_mine_count_opens_at_the_default_limits_capped_at_them(
    mines: int, stake: int
) -> None:
    """8-17 mines used to be refused even at 1 Star (stake x 5,148,297x at 12 mines): now the
    bet's largest payout is the last safe tile's that fits the limit."""
    bet = _placed(mines, stake)
    allowed = safe_tiles_within(mines, EDGE, stake, 1_000_000)
    assert allowed >= 1
    multipliers = step_multipliers(mines, EDGE)
    assert bet.max_payout == payout_for(stake, multipliers[allowed - 1]) <= 1_000_000
    if allowed < TILES - mines:  # capped: the next tile pays over the limit
        assert payout_for(stake, multipliers[allowed]) > 1_000_000


def test_a_ten_mine_game_is_capped_at_fourteen_safe_tiles_for_one_star() -> None:
    bet = _placed(10, 1)
    assert safe_tiles_within(10, EDGE, 1, 1_000_000) == 14
    assert bet.max_payout == 294_188  # 1 x 294188.4x, cut; the 15th tile pays 3,236,072x
    assert bet.max_net_loss_to_house == 294_187


def test_the_bankroll_reserve_of_a_capped_game_is_its_cap() -> None:
    bet = _placed(12, 100)
    reserve = bet.max_payout - 100
    assert (
        bet.max_payout <= 1_000_000 < payout_for(100, Mines().max_multiplier(bet.selection, EDGE))
    )
    assert bet.max_net_loss_to_house == reserve
    bet.check_bankroll(reserve)
    with pytest.raises(LimitExceeded, match="cannot cover"):
        bet.check_bankroll(reserve - 1)


def test_a_game_whose_first_tile_pays_over_the_limit_is_refused() -> None:
    config = GameConfig(
        "mines", house_edge=EDGE, limits={"XTR": StakeLimits(1, 100_000, 1_000_000)}
    )
    # 24 mines: the first (and only) safe tile pays 24.75x, 2,475,000 Stars for 100,000.
    with pytest.raises(LimitExceeded, match=r"first safe tile would pay 2475000 XTR at 24\.75x"):
        _placed(24, 100_000, config)
    assert _placed(24, 40_000, config).max_payout == 990_000


def test_single_step_games_are_still_refused_over_the_limit() -> None:
    limits = StakeLimits(1, 10_000, 1_000_000)
    with pytest.raises(LimitExceeded, match="could pay"):
        limits.check(Money(10_000, XTR), Fraction(101))


def _play_to_the_cap(mines: int, stake: int) -> tuple[Bet, MinesField, PayoutCap]:
    bet = _placed(mines, stake)
    cap = PayoutCap.of(bet)
    positions = tuple(range(TILES - mines, TILES))  # the last tiles hold the mines
    field = MinesField.open(bet.id, 7, "XTR", positions, NOW)
    for tile in range(safe_tiles_within(mines, EDGE, stake, bet.max_payout)):
        field = field.reveal(tile, NOW, cap)
    return bet, field, cap


def test_a_reveal_over_the_cap_is_refused_and_the_game_stays_open_to_cash_out() -> None:
    bet, field, cap = _play_to_the_cap(10, 1)
    assert field.state is MinesState.OPEN
    assert field.safe_count == 14
    assert field.next_multiplier(cap) is None  # the game is open: cash out is the move
    for tile in (14, 20):  # a safe tile and a mine are refused alike: the refusal tells nothing
        with pytest.raises(OverPayoutLimit, match="over the payout limit") as refused:
            field.reveal(tile, NOW, cap)
        assert refused.value.max_payout == Money(294_188, XTR)
    assert field.reveal(3, NOW, cap) is field  # a tile already revealed is still a repeat
    done = field.cash_out(NOW)
    settled = bet.settle(Mines(), done.outcome, at=NOW, transaction_id=uuid.uuid4())
    assert settled.payout == bet.max_payout == 294_188


def test_a_game_under_its_cap_shows_the_next_multiplier() -> None:
    _, field, cap = _play_to_the_cap(3, 1)  # 3 mines never reach 1,000,000x
    assert field.state is MinesState.CASHED_OUT  # the last safe tile cashed out by itself
    opened = MinesField.open(uuid.uuid4(), 7, "XTR", (1, 21, 7), NOW)
    assert opened.next_multiplier(cap) == cash_out_multiplier(3, 1, EDGE)


def test_settling_over_the_bets_largest_payout_is_refused() -> None:
    bet = _placed(10, 1)
    with pytest.raises(LimitExceeded, match="over its largest payout"):
        bet.settle(Mines(), 15, at=NOW, transaction_id=uuid.uuid4())


@pytest.mark.parametrize("mines", ALL_MINES)
def test_the_cap_only_stops_a_player_earlier_so_the_rtp_stays_at_most_one_minus_the_edge(
    mines: int,
) -> None:
    """Capped, a player's strategies are "cash out after k <= allowed safe tiles", a subset of
    the stopping strategies above, each of which returns at most 1 - edge (exactly)."""
    for stake in (1, 3, 10_000):
        allowed = safe_tiles_within(mines, EDGE, stake, 1_000_000)
        best = max(stopping_rtp(mines, k, EDGE) for k in range(1, allowed + 1))
        assert best <= Mines().rtp(Selection("mines", mines), EDGE) <= 1 - EDGE
