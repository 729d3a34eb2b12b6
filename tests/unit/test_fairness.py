"""Known-answer tests of the provably fair scheme.

The expected values were computed outside this code base from the published spec: HMACs with
`openssl dgst -sha256 -hmac <server seed hex>`, integer mappings with `bc`, and the limbo,
dice and roulette formulas evaluated in Node.js (the doubles a browser verifier uses)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidRequest
from domain.fairness import (
    UINT32_SPACE,
    bucket_of,
    commitment,
    round_bytes,
    uint32s,
    words_mapping_to,
)
from domain.games.limbo import limbo_result
from domain.verification import check_outcome

SERVER = "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
CLIENT = "lucky-client-seed"


def test_commitment_is_sha256_of_the_hex_text() -> None:
    assert commitment(SERVER) == "e0bc614e4fd035a488619799853b075143deea596c477b8dc077e309c0fe42e9"


@pytest.mark.parametrize(
    ("nonce", "round_", "digest"),
    [
        (0, 0, "8755d493d5a4f38ee9219c2764edf7652e2245bc517a87c4c89a3938c5dbe673"),
        (1, 0, "76b7e74e9032ed8de873df2d78dc12e34c763607179c11c21f6cdc51e256aac0"),
        (2, 0, "d992035e49ef0db2c94ae3f04c0037aede49b39f80cd390481d4867723a08098"),
        (42, 0, "5595477f9172e1e529bc5ec3eab17717e3cc178cca7ad2fff4df7e27f44f541d"),
        (0, 1, "01be675e5078e1ad70a53960f47e4e635a28e7805f5b8a4febc958cde8bb65f2"),
    ],
)
def test_round_bytes_match_openssl(nonce: int, round_: int, digest: str) -> None:
    assert round_bytes(SERVER, CLIENT, nonce, round_).hex() == digest


def test_words_run_on_into_the_next_round() -> None:
    words = uint32s(SERVER, CLIENT, 0, 9)
    assert words[0] == 0x8755D493 == 2270549139
    assert words[7] == 0xC5DBE673
    assert words[8] == 0x01BE675E  # the ninth float is the first of round 1


@pytest.mark.parametrize(
    ("nonce", "dice", "roulette", "coin", "limbo"),
    [
        (0, "52.87", "19 red", "tails", "1.87x"),
        (1, "46.37", "17 black", "heads", "2.13x"),
        (2, "84.99", "31 black", "tails", "1.16x"),
        (42, "33.43", "12 red", "heads", "2.96x"),
    ],
)
def test_known_answers_per_game(
    nonce: int, dice: str, roulette: str, coin: str, limbo: str
) -> None:
    seeds = {"server_seed": SERVER, "client_seed": CLIENT, "nonce": nonce}
    assert check_outcome("dice", **seeds).description == dice
    assert check_outcome("roulette", **seeds).description == roulette
    assert check_outcome("coin", **seeds).description == coin
    assert check_outcome("limbo", **seeds).description == limbo


def test_limbo_known_answers_from_node() -> None:
    assert limbo_result(29255518) == 14534  # 145.34x
    assert limbo_result(2**31) == 198  # f = 0.5
    assert limbo_result(UINT32_SPACE - 1) == 100  # never below 1.00x
    assert limbo_result(0) == 100_000_000  # division by zero reads as the cap


def test_verification_gives_the_multiplier_of_a_bet() -> None:
    seeds = {"server_seed": SERVER, "client_seed": CLIENT, "nonce": 0}
    won = check_outcome("dice", **seeds, params={"direction": "over", "target": "50"})
    assert won.outcome == 5287
    # over 50.00 wins on 50.01..100.00: 5000 of 10001 rolls; 0.99 * 10001 / 5000 = 1.98019..
    assert won.multiplier == Fraction("1.9801")
    lost = check_outcome("dice", **seeds, params={"direction": "under", "target": "50"})
    assert lost.multiplier == 0
    assert check_outcome("roulette", **seeds, params={"bet": "red"}).multiplier == 2


@given(st.integers(0, UINT32_SPACE - 1), st.sampled_from([2, 37, 10001]))
def test_integer_mapping_equals_the_float_formula(word: int, buckets: int) -> None:
    assert bucket_of(word, buckets) == math.floor(word / UINT32_SPACE * buckets)


@given(st.integers(1, UINT32_SPACE - 1))
def test_limbo_result_never_rises_with_the_word(word: int) -> None:
    assert limbo_result(word) <= limbo_result(word - 1)


@pytest.mark.parametrize("buckets", [2, 37, 10001])
def test_bucket_weights_cover_every_word_once(buckets: int) -> None:
    weights = [words_mapping_to(b, buckets) for b in range(buckets)]
    assert sum(weights) == UINT32_SPACE
    assert max(weights) - min(weights) <= 1  # scaling adds at most one word of bias


@pytest.mark.parametrize(
    ("server", "client", "nonce"),
    [
        ("ABC", CLIENT, 0),
        (SERVER.upper(), CLIENT, 0),
        (SERVER, "", 0),
        (SERVER, "a b", 0),
        (SERVER, CLIENT, -1),
    ],
)
def test_bad_seeds_are_refused(server: str, client: str, nonce: int) -> None:
    with pytest.raises(InvalidRequest):
        check_outcome("dice", server_seed=server, client_seed=client, nonce=nonce)


def test_telegram_games_cannot_be_verified_from_seeds() -> None:
    with pytest.raises(InvalidRequest, match="Telegram"):
        check_outcome("tg_dice", server_seed=SERVER, client_seed=CLIENT, nonce=0)
