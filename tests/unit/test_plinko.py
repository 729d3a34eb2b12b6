"""Plinko: the path from the seeds (Stake's rule), the pay tables and their exact RTPs, the
house edge's scaling and the parameters' refusals."""

from __future__ import annotations

from fractions import Fraction
from itertools import product
from math import comb

import pytest

from domain.errors import InvalidField, InvalidRequest
from domain.games.base import MAX_RTP, MIN_RTP, Selection
from domain.games.catalog import GAMES, GameConfig, check_rtp
from domain.games.plinko import (
    MAX_ROWS,
    MIN_ROWS,
    REFERENCE_EDGE,
    RISKS,
    TABLES,
    Plinko,
    path_text,
    slot_probability,
)
from domain.verification import check_outcome

PLINKO = Plinko()
SERVER = "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
CLIENT = "lucky-client-seed"
ALL = [(rows, risk) for rows in range(MIN_ROWS, MAX_ROWS + 1) for risk in RISKS]


def test_plinko_is_a_listed_provably_fair_game() -> None:
    assert isinstance(GAMES["plinko"], Plinko)
    assert GAMES["plinko"].source.value == "provably_fair"


def test_known_answers_from_the_openssl_digests() -> None:
    """Rounds 0 and 1 of nonce 0 are 8755d493 d5a4f38e e9219c27 64edf765 2e2245bc 517a87c4
    c89a3938 c5dbe673 | 01be675e 5078e1ad 70a53960 f47e4e63 5a28e780 5f5b8a4f ebc958cd
    e8bb65f2 (tests/unit/test_fairness.py checks them against openssl); a row goes right when
    its word's first byte is 0x80 or more (f >= 0.5): R R R L L L R R | L L L R L L R R."""
    seeds = {"server_seed": SERVER, "client_seed": CLIENT, "nonce": 0}
    eight = check_outcome("plinko", **seeds, params={"rows": "8", "risk": "low"})
    assert eight.outcome == 0b11000111 == 199
    assert eight.description == "slot 5 of 0-8, path RRRLLLRR"
    assert eight.multiplier == 1  # 5.6 2.1 1.1 1 0.5 1 …: slot 5 pays 1x
    sixteen = check_outcome("plinko", **seeds, params={"rows": "16", "risk": "high"})
    assert sixteen.outcome == 199 + 2**11 + 2**14 + 2**15
    assert sixteen.description == "slot 8 of 0-16, path RRRLLLRRLLLRLLRR"
    assert sixteen.multiplier == Fraction("0.2")


def test_a_drop_needs_its_rows() -> None:
    with pytest.raises(InvalidRequest, match="rows and risk"):
        check_outcome("plinko", server_seed=SERVER, client_seed=CLIENT, nonce=0)


@pytest.mark.parametrize(("rows", "risk"), ALL)
def test_every_table_is_symmetric_exact_and_in_range(rows: int, risk: str) -> None:
    selection = PLINKO.parse({"rows": str(rows), "risk": risk})
    table = PLINKO.table(selection, REFERENCE_EDGE)
    assert len(table) == rows + 1
    assert table == table[::-1]
    assert all(m * 10 == int(m * 10) for m in table)  # one decimal at most, as written
    rtp = PLINKO.rtp(selection, REFERENCE_EDGE)
    binomial = sum((Fraction(comb(rows, s), 2**rows) * m for s, m in enumerate(table)), Fraction(0))
    assert rtp == binomial
    if rows <= 12:  # every path, where listing them is cheap: the same sum
        by_paths = sum(
            (PLINKO.multiplier(selection, path, REFERENCE_EDGE) for path in range(2**rows)),
            Fraction(0),
        )
        assert rtp == by_paths / 2**rows
    assert MIN_RTP <= rtp <= MAX_RTP
    assert Fraction(98, 100) < rtp < Fraction(992, 1000)  # about 99%, like the tables copied
    assert PLINKO.max_multiplier(selection, REFERENCE_EDGE) == table[0] == table[-1]


def test_rtps_quoted_in_the_docs() -> None:
    assert PLINKO.rtp(Selection("low", 8), REFERENCE_EDGE) == Fraction("0.98984375")
    assert PLINKO.rtp(Selection("high", 16), REFERENCE_EDGE) == Fraction("0.989764404296875")
    assert PLINKO.max_multiplier(Selection("high", 16), REFERENCE_EDGE) == 1000
    assert PLINKO.max_multiplier(Selection("low", 8), REFERENCE_EDGE) == Fraction("5.6")


def test_slot_probabilities_are_binomial_and_complete() -> None:
    for rows in range(MIN_ROWS, MAX_ROWS + 1):
        assert sum(slot_probability(rows, s) for s in range(rows + 1)) == 1
    assert slot_probability(16, 0) == Fraction(1, 65536)


def test_the_house_edge_scales_the_tables_and_cuts_them() -> None:
    selection = Selection("high", 16)
    two = PLINKO.table(selection, Fraction(2, 100))
    # 1000 * 0.98 / 0.99 = 989.8989…, cut (never rounded up) to four decimals
    assert two[0] == Fraction("989.8989")
    assert two[8] == Fraction("0.1979")
    for (rows, risk), table in TABLES.items():
        scaled = PLINKO.table(Selection(risk, rows), Fraction(3, 100))
        assert all(s <= m * Fraction(97, 99) for s, m in zip(scaled, table, strict=True))
        base = PLINKO.rtp(Selection(risk, rows), REFERENCE_EDGE)
        assert PLINKO.rtp(Selection(risk, rows), Fraction(3, 100)) <= base * Fraction(97, 99)


@pytest.mark.parametrize("edge", ["0", "0.005", "0.1", "0.2"])
def test_an_edge_that_pushes_a_table_out_of_range_is_refused(edge: str) -> None:
    assert check_rtp(PLINKO, Fraction(edge)) is not None
    with pytest.raises(InvalidRequest, match="RTP"):
        GameConfig("plinko", house_edge=Fraction(edge))


@pytest.mark.parametrize("edge", ["0.007", "0.01", "0.02", "0.05", "0.099"])
def test_an_edge_that_keeps_every_table_in_range_is_taken(edge: str) -> None:
    assert GameConfig("plinko", house_edge=Fraction(edge)).house_edge == Fraction(edge)
    for selection in PLINKO.selections():
        assert MIN_RTP <= PLINKO.rtp(selection, Fraction(edge)) <= MAX_RTP


def test_params_round_trip_and_every_selection_is_offered() -> None:
    selections = list(PLINKO.selections())
    assert len(selections) == 27
    for selection in selections:
        assert PLINKO.parse(PLINKO.params(selection)) == selection
    assert PLINKO.parse({"rows": " 12 ", "risk": "HIGH"}) == Selection("high", 12)
    assert PLINKO.params(Selection("medium", 9)) == {"rows": "9", "risk": "medium"}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"rows": "7", "risk": "low"}, "params.rows", "from 8 to 16, not 7"),
        ({"rows": "17", "risk": "low"}, "params.rows", "from 8 to 16"),
        ({"rows": "1e9", "risk": "low"}, "params.rows", "whole number"),
        ({"rows": "9" * 10_000, "risk": "low"}, "params.rows", "whole number"),
        ({"rows": "-8", "risk": "low"}, "params.rows", "whole number"),
        ({"rows": "８", "risk": "low"}, "params.rows", "whole number"),
        ({"rows": "8", "risk": "extreme"}, "params.risk", "low, medium, high"),
    ],
)
def test_bad_params_name_the_field(params: dict[str, str], field: str, message: str) -> None:
    with pytest.raises(InvalidField, match=message) as refused:
        PLINKO.parse(params)
    assert refused.value.field == field
    assert len(refused.value.message) < 200


@pytest.mark.parametrize(
    ("params", "message"),
    [({"risk": "low"}, "parameter 'rows'"), ({"rows": "8"}, "parameter 'risk'"),
     ({"rows": "8", "risk": "low", "balls": "2"}, "does not take 'balls'")],
)  # fmt: skip
def test_missing_or_extra_params(params: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        PLINKO.parse(params)


def test_a_path_beyond_the_rows_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="below 256"):
        PLINKO.multiplier(Selection("low", 8), 256, REFERENCE_EDGE)


def test_descriptions() -> None:
    assert PLINKO.describe_bet(Selection("low", 8), 0b10000001) == "slot 2 of 0-8, path RLLLLLLR"
    assert PLINKO.describe(0b10000001) == "slot 2 (right at rows 1, 8)"
    assert PLINKO.describe(0) == "slot 0 (never right)"
    assert path_text(0b1, 3) == "RLL"


def test_the_slot_is_the_number_of_rights() -> None:
    selection = Selection("medium", 8)
    table = PLINKO.table(selection, REFERENCE_EDGE)
    for bits in product((0, 1), repeat=8):
        path = sum(bit << row for row, bit in enumerate(bits))
        assert PLINKO.multiplier(selection, path, REFERENCE_EDGE) == table[sum(bits)]
