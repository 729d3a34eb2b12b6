"""Exact return-to-player of every game and bet type, by enumeration, and the pay tables."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import GameUnavailable, InvalidRequest, LimitExceeded
from domain.fairness import UINT32_SPACE
from domain.games import base
from domain.games.base import (
    MAX_RTP,
    MEMO_LIMIT,
    MIN_RTP,
    MULTIPLIER_DECIMALS,
    EnumeratedGame,
    Selection,
    edge_multiplier,
    format_multiplier,
)
from domain.games.catalog import GAMES, GameConfig, StakeLimits, game_by_code, payout_for
from domain.games.limbo import Limbo, winning_words
from domain.games.telegram_dice import slot_reels
from domain.money import XTR, Money

HOUSE_EDGES = [Fraction(0), Fraction(1, 100), Fraction(3, 100), Fraction(5, 100)]


def test_every_game_is_listed() -> None:
    assert set(GAMES) == {
        "dice", "coin", "roulette", "limbo", "mines", "plinko", "crash", "tg_dice", "tg_slot",
        "tg_darts",
        "tg_bowling", "tg_basketball", "tg_football",
    }  # fmt: skip


@pytest.mark.parametrize("code", [c for c, g in GAMES.items() if isinstance(g, EnumeratedGame)])
def test_outcome_spaces_are_complete_distributions(code: str) -> None:
    game = GAMES[code]
    assert isinstance(game, EnumeratedGame)
    assert sum(p for _, p in game.outcomes()) == 1


@pytest.mark.parametrize("code", sorted(c for c in GAMES if c not in ("limbo", "crash")))
def test_rtp_of_every_bet_type_is_in_range_at_the_default_edge(code: str) -> None:
    game = GAMES[code]
    config = GameConfig(code)  # the default edge
    for selection in game.selections():
        assert MIN_RTP <= game.rtp(selection, config.house_edge) <= MAX_RTP, selection


def test_rtp_is_the_enumerated_sum_for_the_dice_shortcut() -> None:
    dice = GAMES["dice"]
    assert isinstance(dice, EnumeratedGame)
    edge = Fraction(1, 100)
    for selection in (Selection("under", 100), Selection("over", 5000), Selection("over", 9899)):
        enumerated = sum(p * dice.multiplier(selection, o, edge) for o, p in dice.outcomes())
        assert dice.rtp(selection, edge) == enumerated


@pytest.mark.parametrize(
    ("code", "params", "expected"),
    [
        # 1/6 * floor(0.97 * 6, 4 dp) = 5.82 / 6
        ("tg_dice", {"bet": "face", "face": "6"}, Fraction(582, 600)),
        ("tg_dice", {"bet": "even"}, Fraction(1, 2) * Fraction("1.94")),
        # three triples at 10x and the jackpot at 32x out of 64 values
        ("tg_slot", {}, Fraction(3 * 10 + 32, 64)),
        ("tg_darts", {"bet": "hit"}, Fraction(1, 6) * Fraction("5.82")),
        ("tg_darts", {"bet": "miss"}, Fraction(5, 6) * Fraction("1.164")),
        ("tg_basketball", {"bet": "hit"}, Fraction(2, 5) * Fraction("2.425")),
        ("tg_football", {"bet": "hit"}, Fraction(3, 5) * Fraction("1.6166")),
        ("tg_bowling", {"bet": "miss"}, Fraction(5, 6) * Fraction("1.164")),
    ],
)
def test_telegram_rtp_by_hand(code: str, params: dict[str, str], expected: Fraction) -> None:
    game = GAMES[code]
    edge = Fraction(3, 100)
    assert game.rtp(game.parse(params), edge) == expected


def test_roulette_rtp_is_36_of_37_up_to_the_word_rounding() -> None:
    roulette = GAMES["roulette"]
    for selection in roulette.selections():
        rtp = roulette.rtp(selection, Fraction(0))
        # 2**32 words do not split evenly into 37 pockets: at most 1 word in 116 million
        assert abs(rtp - Fraction(36, 37)) < Fraction(36, UINT32_SPACE // 37)


def test_roulette_pays_the_standard_table() -> None:
    roulette = GAMES["roulette"]
    edge = Fraction(0)
    assert roulette.multiplier(roulette.parse({"bet": "straight", "number": "0"}), 0, edge) == 36
    assert roulette.multiplier(roulette.parse({"bet": "red"}), 0, edge) == 0
    assert roulette.multiplier(roulette.parse({"bet": "red"}), 1, edge) == 2
    assert roulette.multiplier(roulette.parse({"bet": "black"}), 2, edge) == 2
    assert roulette.multiplier(roulette.parse({"bet": "dozen", "number": "3"}), 25, edge) == 3
    assert roulette.multiplier(roulette.parse({"bet": "column", "number": "1"}), 34, edge) == 3
    assert roulette.multiplier(roulette.parse({"bet": "column", "number": "1"}), 35, edge) == 0
    assert roulette.multiplier(roulette.parse({"bet": "high"}), 19, edge) == 2
    assert roulette.multiplier(roulette.parse({"bet": "low"}), 19, edge) == 0


def test_slot_decoding_follows_the_documented_reels() -> None:
    assert slot_reels(1) == ("BAR", "BAR", "BAR")
    assert slot_reels(22) == ("GRAPES", "GRAPES", "GRAPES")
    assert slot_reels(43) == ("LEMON", "LEMON", "LEMON")
    assert slot_reels(64) == ("SEVEN", "SEVEN", "SEVEN")
    assert slot_reels(2) == ("GRAPES", "BAR", "BAR")
    slot = GAMES["tg_slot"]
    spin = slot.parse({})
    wins = {v: slot.multiplier(spin, v, Fraction(0)) for v in range(1, 65)}
    assert {v: m for v, m in wins.items() if m} == {1: 10, 22: 10, 43: 10, 64: 32}


@pytest.mark.parametrize("target", [*range(101, 1001), 2000, 10_000, 123_456, 10**6, 10**8])
def test_limbo_rtp_by_exact_counting(target: int) -> None:
    limbo = Limbo()
    rtp = limbo.rtp(Selection("target", target), Fraction(0))
    assert MIN_RTP <= rtp <= MAX_RTP
    # the count agrees with the closed form floor(0.99 * 2**32 / M) (+1 for the word 0)
    assert abs(winning_words(target) - (99 * UINT32_SPACE // target + 1)) <= 1


@pytest.mark.parametrize(
    ("code", "params", "message"),
    [
        ("dice", {"direction": "under", "target": "0.50"}, "from 1.00 to 98.00"),
        ("dice", {"direction": "sideways", "target": "50"}, "'under' or 'over'"),
        ("dice", {"direction": "under", "target": "50.001"}, "at most 2 decimals"),
        ("dice", {"direction": "under"}, "needs the parameter 'target'"),
        ("dice", {"direction": "under", "target": "50", "x": "1"}, "does not take 'x'"),
        ("coin", {"side": "edge"}, "heads"),
        ("roulette", {"bet": "straight", "number": "37"}, "0 to 36"),
        ("roulette", {"bet": "red", "number": "3"}, "takes no number"),
        ("roulette", {"bet": "split"}, "roulette bets are"),
        ("limbo", {"target": "1.00"}, "from 1.01"),
        ("limbo", {"target": "NaN"}, "a number like 50.00"),
        ("tg_dice", {"bet": "face", "face": "7"}, "1-6"),
        ("tg_darts", {"bet": "bullseye"}, "'hit' and 'miss'"),
        ("tg_slot", {"bet": "spin"}, "does not take"),
    ],
)
def test_bad_selections_say_what_is_wrong(code: str, params: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        GAMES[code].parse(params)


def test_telegram_values_outside_the_dice_are_refused() -> None:
    game = GAMES["tg_basketball"]
    with pytest.raises(InvalidRequest, match="1-5"):
        game.outcome_from_dice(6)  # type: ignore[attr-defined]


def test_unknown_game() -> None:
    with pytest.raises(GameUnavailable, match="no game 'poker'"):
        game_by_code("poker")


def test_a_house_edge_that_breaks_the_rtp_range_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="RTP"):
        GameConfig("coin", house_edge=Fraction(15, 100))
    with pytest.raises(InvalidRequest, match="RTP"):
        GameConfig("dice", house_edge=Fraction(0))
    for edge in HOUSE_EDGES[1:]:
        assert GameConfig("tg_dice", house_edge=edge).house_edge == edge


def test_payouts_round_down_to_the_minor_unit() -> None:
    assert payout_for(3, Fraction("1.9801")) == 5
    assert payout_for(100, Fraction("1.9801")) == 198
    assert payout_for(7, Fraction(0)) == 0


def test_stake_limits() -> None:
    limits = StakeLimits(min_stake=10, max_stake=1000, max_payout=5000)
    assert limits.check(Money(100, XTR), Fraction(2)) == 200
    with pytest.raises(LimitExceeded, match="smallest stake is 10 XTR"):
        limits.check(Money(9, XTR), Fraction(2))
    with pytest.raises(LimitExceeded, match="largest stake"):
        limits.check(Money(1001, XTR), Fraction(2))
    with pytest.raises(LimitExceeded, match="at most 5000 XTR"):
        limits.check(Money(1000, XTR), Fraction(36))
    with pytest.raises(InvalidRequest):
        StakeLimits(min_stake=0, max_stake=1, max_payout=1)


def test_a_disabled_game_or_missing_currency_is_unavailable() -> None:
    limits = {"XTR": StakeLimits(1, 10, 100)}
    with pytest.raises(GameUnavailable, match="switched off"):
        GameConfig("coin", enabled=False, limits=limits).limits_for("XTR")
    with pytest.raises(GameUnavailable, match="not offered in TON"):
        GameConfig("coin", limits=limits).limits_for("TON")


@given(
    stake=st.integers(min_value=-(10**15), max_value=10**15),
    multiplier=st.fractions(min_value=0, max_value=10**7, max_denominator=10**6),
)
def test_a_payout_is_the_exact_product_rounded_down(stake: int, multiplier: Fraction) -> None:
    # Integer floor division, not a Fraction a bet: the same number whatever the signs.
    assert payout_for(stake, multiplier) == (stake * multiplier).__floor__()
    assert payout_for(stake, multiplier) <= stake * multiplier < payout_for(stake, multiplier) + 1


@given(
    probability=st.fractions(min_value=Fraction(1, 10**9), max_value=1, max_denominator=10**9),
    edge=st.fractions(min_value=0, max_value=Fraction(1, 2), max_denominator=10**4),
)
def test_a_memoised_edge_multiplier_is_the_formulas(probability: Fraction, edge: Fraction) -> None:
    """Memoised by numerator and denominator: asked twice, and for an equal Fraction built
    apart, it is the formula's value, cut to MULTIPLIER_DECIMALS decimals."""
    scale = 10**MULTIPLIER_DECIMALS
    expected = Fraction(((1 - edge) / probability * scale).__floor__(), scale)
    assert edge_multiplier(probability, edge) == expected
    twin = Fraction(probability.numerator * 3, probability.denominator * 3)
    assert edge_multiplier(twin, Fraction(edge.numerator, edge.denominator)) == expected


@given(multiplier=st.fractions(min_value=0, max_value=10**7, max_denominator=10**6))
def test_a_memoised_multiplier_text_is_the_exact_decimal(multiplier: Fraction) -> None:
    multiplier = Fraction((multiplier * 10**8).__floor__(), 10**8)  # a finite decimal
    expected = format((Decimal(multiplier.numerator) / multiplier.denominator).normalize(), "f")
    assert format_multiplier(multiplier) == expected == format_multiplier(Fraction(expected))


def test_the_multiplier_memos_stay_bounded() -> None:
    for n in range(MEMO_LIMIT + 10):
        edge_multiplier(Fraction(1, n + 2), Fraction(1, 100))
        format_multiplier(Fraction(n, 100))
    assert 0 < len(base._edge_multipliers) <= MEMO_LIMIT
    assert 0 < len(base._multiplier_texts) <= MEMO_LIMIT
    # Past the bound a memo starts again, and still answers right.
    assert edge_multiplier(Fraction(1, 2), Fraction(3, 100)) == Fraction(194, 100)
    assert format_multiplier(Fraction(194, 100)) == "1.94"
