"""The client seed rule (issue 25): printable Unicode of any alphabet, bounded in characters;
nothing a player cannot see or copy. The seed is hashed as its UTF-8 bytes."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

import pytest

from domain.errors import InvalidField
from domain.fairness import (
    MAX_CLIENT_SEED_LENGTH,
    InvalidClientSeed,
    chosen_client_seed,
    round_bytes,
    uint32s,
    validate_client_seed,
)
from domain.verification import check_outcome

SERVER = "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"


@pytest.mark.parametrize(
    "seed",
    [
        "lucky-client-seed",
        "удача-7",
        "Ёжик_в_тумане",
        "幸運の種",
        "🍀",
        "🍀🎲7",
        "👨‍👩‍👧",  # an emoji sequence: its joiners sit between symbols
        "👍🏽",
        "❤️",  # a symbol with its variation selector
        "ع" * MAX_CLIENT_SEED_LENGTH,  # the bound is in characters, not bytes
        "🎲" * MAX_CLIENT_SEED_LENGTH,
    ],
)
def test_printable_seeds_of_any_alphabet_are_accepted(seed: str) -> None:
    assert validate_client_seed(seed) == seed


@pytest.mark.parametrize(
    "seed",
    [
        "",
        "a b",  # a space
        "a\u00a0b",  # a no-break space
        "a\u3000b",  # an ideographic space
        "line\nbreak",
        "\x00",
        "tab\there",
        "zero\u200bwidth",  # a zero-width space: invisible
        "a\u200db",  # a joiner between letters: invisible
        "\u200d🍀",
        "abc\u202eevil",  # a right-to-left override turns what is shown around
        "soft\u00adhyphen",
        "\ue000",  # private use
        "\ufeffbom",
        "x" * (MAX_CLIENT_SEED_LENGTH + 1),
        "я" * (MAX_CLIENT_SEED_LENGTH + 1),
    ],
)
def test_invisible_control_and_overlong_seeds_are_refused(seed: str) -> None:
    with pytest.raises(InvalidClientSeed) as refused:
        validate_client_seed(seed)
    assert isinstance(refused.value, InvalidField)  # the other doors name the field
    assert refused.value.field == "client_seed"


def test_a_chosen_seed_is_kept_composed() -> None:
    typed = unicodedata.normalize("NFD", "йод")  # "й" as "и" and a combining breve
    assert len(typed) == 4
    assert chosen_client_seed(typed) == "йод"


def test_the_hmac_takes_the_seeds_utf8_bytes() -> None:
    seed = "удача-7"
    expected = hmac.new(SERVER.encode("ascii"), f"{seed}:3:0".encode(), hashlib.sha256).digest()
    assert round_bytes(SERVER, seed, 3, 0) == expected
    assert uint32s(SERVER, seed, 3, 1) == [int.from_bytes(expected[:4], "big")]
    assert uint32s(SERVER, seed, 3, 1) != uint32s(SERVER, "udacha-7", 3, 1)


def test_a_cyrillic_seed_verifies_offline() -> None:
    # What a public verifier computes by hand: dice is floor(f * 10001) hundredths of the
    # first word of HMAC(server seed, "удача-7:0:0" in UTF-8).
    word = int.from_bytes(round_bytes(SERVER, "удача-7", 0, 0)[:4], "big")
    check = check_outcome("dice", server_seed=SERVER, client_seed="удача-7", nonce=0)
    assert check.outcome == word * 10001 // 2**32
    assert check.client_seed == "удача-7"


def test_the_ascii_fast_path_decides_every_ascii_character_as_the_categories_do() -> None:
    """`validate_client_seed` takes a printable ASCII seed without reading each character's
    category (it runs on every provably fair bet); for every ASCII character, alone and
    between others, it decides as the category rule does."""

    def by_category(seed: str) -> bool:
        return all(unicodedata.category(c) not in {"Cc", "Zs"} for c in seed)

    for code in range(128):
        for seed in (chr(code), f"ab{chr(code)}cd", chr(code) * 64):
            try:
                validate_client_seed(seed)
                accepted = True
            except InvalidField:
                accepted = False
            assert accepted == by_category(seed), (code, seed)
    with pytest.raises(InvalidField):
        validate_client_seed("a" * 65)  # too long, ASCII or not
