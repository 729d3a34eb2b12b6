"""Numbers typed by clients are parsed with bounds before any arithmetic: huge exponents, a
million digits and infinities are a short InvalidRequest, never a decimal overflow."""

from __future__ import annotations

import time

import pytest

from domain.errors import GameUnavailable, InvalidAmount, InvalidRequest
from domain.games.catalog import GAMES, GameConfig, game_by_code, parse_house_edge
from domain.ledger import Leg
from domain.money import FUN, INT64_MAX, INT64_MIN, TON, USDT, XTR, Currency, Money
from domain.quoting import MAX_MESSAGE_CHARS, bounded_message, excerpt

HUGE = [
    "1e999999999",
    "9" * 1_000_000,
    "0." + "1" * 1_000_000,
    "Infinity",
    "-Infinity",
    "NaN",
    "sNaN",
    "1E+2",
    "0x10",
    "",
    " ",
    "5_0",
]


@pytest.mark.parametrize("target", HUGE)
@pytest.mark.parametrize(
    ("code", "params"),
    [("dice", {"direction": "under"}), ("limbo", {})],
)
def test_game_targets_out_of_any_bound_are_a_short_refusal(
    code: str, params: dict[str, str], target: str
) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidRequest) as refused:
        GAMES[code].parse(params | {"target": target})
    assert len(refused.value.message) < 200
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("number", ["1e999999999", "9" * 5000, "Infinity", "3.5"])
def test_roulette_and_dice_faces_refuse_numbers_that_are_not_small_integers(number: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        GAMES["roulette"].parse({"bet": "straight", "number": number})
    assert len(refused.value.message) < 200


@pytest.mark.parametrize("edge", [*HUGE, "1e-999999999", "0.0000001", "-0.01"])
def test_a_house_edge_is_a_plain_bounded_decimal(edge: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        GameConfig("coin", house_edge=parse_house_edge(edge))
    assert len(refused.value.message) < 200


def test_a_plain_house_edge_and_targets_still_parse() -> None:
    assert GameConfig("dice", house_edge=parse_house_edge(" 0.02 ")).house_edge * 50 == 1
    assert GAMES["dice"].parse({"direction": "over", "target": "50.5"}).value == 5050
    assert GAMES["limbo"].parse({"target": "1000000"}).value == 100_000_000
    assert GAMES["roulette"].parse({"bet": "straight", "number": "07"}).value == 7


@pytest.mark.parametrize("amount", [*HUGE, "9223372036.854775808"])
def test_a_typed_amount_is_bounded_before_it_becomes_minor_units(amount: str) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidAmount) as refused:
        Money.parse(amount, TON)
    assert len(refused.value.message) < 200
    assert time.perf_counter() - started < 0.5


def test_a_typed_amount_with_every_digit_is_exact() -> None:
    # The largest amount a TON wallet can hold, typed with all nine decimals.
    assert Money.parse("9223372036.854775807", TON).amount == 2**63 - 1


@pytest.mark.parametrize("currency", [XTR, TON, USDT, FUN])
def test_one_leg_moves_at_most_its_currency_cap(currency: Currency) -> None:
    cap = currency.max_single_amount
    assert cap <= 10**15
    assert Leg(1, Money(cap, currency)).amount.amount == cap
    assert Leg(1, Money(-cap, currency)).amount.amount == -cap
    for amount in (cap + 1, -cap - 1, INT64_MAX, INT64_MIN):
        with pytest.raises(InvalidAmount, match="one operation moves at most"):
            Leg(1, Money(amount, currency))


def test_an_excerpt_is_short_escaped_and_says_it_was_cut() -> None:
    assert excerpt("dice") == "'dice'"
    cut = excerpt("\x00\n" + "x" * 1_000_000)
    assert cut.startswith("'\\x00\\n")
    assert "1000002 characters" in cut
    assert len(cut) < 100
    assert "bit integer" in excerpt(10**400)
    assert len(bounded_message("y" * 10_000)) == MAX_MESSAGE_CHARS


def test_an_unknown_game_and_unknown_parameters_quote_an_excerpt() -> None:
    with pytest.raises(GameUnavailable) as unknown:
        game_by_code("p" * 1_000_000)
    assert len(unknown.value.message) < 300
    with pytest.raises(InvalidRequest) as extra:
        GAMES["coin"].parse({f"k{i}": "v" for i in range(100_000)} | {"side": "heads"})
    assert len(extra.value.message) < 300
