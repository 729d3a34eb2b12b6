"""The rules shown before a bet (domain/games/rules.py): their RTP is the games' own exact RTP
(the numbers test_games.py and the configuration check enumerate), the Telegram dice games' RTP
is their pay table over uniform dice values, and percentages never flatter the house."""

from __future__ import annotations

from fractions import Fraction

import pytest

from domain.games.base import MAX_RTP, MIN_RTP
from domain.games.catalog import DEFAULT_HOUSE_EDGE, GAMES
from domain.games.rules import QUOTED_TARGETS, game_rules, percent, rules_selections

TELEGRAM = ["tg_dice", "tg_slot", "tg_darts", "tg_bowling", "tg_basketball", "tg_football"]


@pytest.mark.parametrize("code", sorted(c for c in GAMES if c not in ("limbo", "crash")))
def test_the_rtp_shown_is_the_range_of_every_selections_exact_rtp(code: str) -> None:
    game = GAMES[code]
    rules = game_rules(game, DEFAULT_HOUSE_EDGE)
    rtps = [game.rtp(s, DEFAULT_HOUSE_EDGE) for s in game.selections()]
    assert (rules.rtp_low, rules.rtp_high) == (min(rtps), max(rtps))
    assert MIN_RTP <= rules.rtp_low <= rules.rtp_high <= MAX_RTP
    assert rules.max_multiplier == max(
        game.max_multiplier(s, DEFAULT_HOUSE_EDGE) for s in game.selections()
    )


@pytest.mark.parametrize("code", ["limbo", "crash"])
def test_limbo_and_crash_quote_the_targets_the_rtp_tests_count(code: str) -> None:
    game = GAMES[code]
    rules = game_rules(game, DEFAULT_HOUSE_EDGE)
    quoted = list(rules_selections(game))
    targets = {s.value for s in quoted if s.value is not None}
    assert targets <= set(QUOTED_TARGETS)
    assert set(range(101, 1001)) <= targets  # 1.01x to 10x: where the word rounding shows
    rtps = [game.rtp(s, DEFAULT_HOUSE_EDGE) for s in quoted]
    assert (rules.rtp_low, rules.rtp_high) == (min(rtps), max(rtps))
    assert percent(rules.rtp_low) in ("98.99", "99.00")


@pytest.mark.parametrize("code", TELEGRAM)
@pytest.mark.parametrize("edge", [Fraction(0), Fraction(1, 100), Fraction(3, 100)])
def test_a_telegram_games_rtp_is_its_pay_table_over_uniform_dice(code: str, edge: Fraction) -> None:
    game = GAMES[code]
    rules = game_rules(game, edge)
    assert rules.pay_table
    for selection in game.selections():
        lines = [line for line in rules.pay_table if line.selection == selection]
        by_table = sum((line.multiplier * line.probability for line in lines), Fraction(0))
        assert by_table == game.rtp(selection, edge)
        # Each line's chance is a count of the dice's equally likely values.
        for line in lines:
            assert (line.probability * game.faces).denominator == 1  # type: ignore[attr-defined]


def test_the_numbers_a_player_reads() -> None:
    dice = game_rules(GAMES["tg_dice"], DEFAULT_HOUSE_EDGE)
    assert (percent(dice.rtp_low), percent(dice.house_edge_high, up=True)) == ("99.00", "1.00")
    assert {(str(line.multiplier), line.probability) for line in dice.pay_table} == {
        ("297/50", Fraction(1, 6)),  # exactly one face: x5.94
        ("99/50", Fraction(1, 2)),  # even, odd, 1-3, 4-6: x1.98
    }
    slot = game_rules(GAMES["tg_slot"], DEFAULT_HOUSE_EDGE)
    assert [(line.multiplier, line.probability) for line in slot.pay_table] == [
        (10, Fraction(3, 64)),
        (32, Fraction(1, 64)),
    ]
    assert slot.rtp_low == Fraction(62, 64)  # 96.875%: shown cut down, the edge cut up
    assert (percent(slot.rtp_low), percent(slot.house_edge_high, up=True)) == ("96.87", "3.13")
    face = game_rules(GAMES["tg_dice"], Fraction(3, 100))
    assert face.rtp_low == Fraction(582, 600)  # x5.82 one face in six (test_games.py)


def test_the_configured_edge_moves_the_numbers() -> None:
    coin = GAMES["coin"]
    assert percent(game_rules(coin, Fraction(2, 100)).rtp_low) == "98.00"
    assert percent(game_rules(coin, Fraction(1, 100)).rtp_low) == "99.00"
