"""The provably fair scheme public verifiers reproduce.

bytes = HMAC_SHA256(key=server_seed_hex, msg=f"{client_seed}:{nonce}:{round}"), 32 bytes a
round; a float in [0, 1) is four bytes read big-endian over 2**32, eight floats a round. The key
is the 64-character hex text itself (ASCII), and the commitment shown before any bet is the
SHA-256 of that same text."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterator
from fractions import Fraction
from itertools import count, islice

from domain.errors import InvalidField, InvalidRequest

SERVER_SEED_BYTES = 32
# In characters (code points), as the database's CHECK counts them; UTF-8 makes that at most
# 256 bytes in the HMAC message.
MAX_CLIENT_SEED_LENGTH = 64
FIRST_NONCE = 0  # a new seed pair's first bet uses nonce 0
UINT32_SPACE = 2**32

_SERVER_SEED = re.compile(r"^[0-9a-f]{64}$")
# Unicode general categories a client seed refuses: control (Cc), format — invisible, like a
# zero-width space or a direction mark — (Cf), unassigned (Cn), private use (Co), surrogates
# (Cs) and every separator, spaces included (Zs, Zl, Zp). What is left prints and can be
# copied: letters of any alphabet, digits, signs, emoji.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zs", "Zl", "Zp"})
_ZERO_WIDTH_JOINER = "\u200d"
# What a joiner may sit between in an emoji sequence (👨‍👩‍👧): a symbol, or a symbol's
# variation selector (Mn) or skin-tone modifier (Sk), before the next symbol.
_JOINED_BEFORE = frozenset({"So", "Mn", "Sk"})


class InvalidClientSeed(InvalidField):
    """A client seed outside the rule: 1 to `MAX_CLIENT_SEED_LENGTH` printable characters,
    no spaces, nothing invisible (`validate_client_seed`)."""

    max_length = MAX_CLIENT_SEED_LENGTH

    def __init__(self) -> None:
        super().__init__(
            "client_seed",
            f"a client seed is 1-{MAX_CLIENT_SEED_LENGTH} printable characters (letters of any "
            "alphabet, digits, signs, emoji) without spaces or invisible characters",
        )


def validate_server_seed(server_seed_hex: str) -> str:
    if not _SERVER_SEED.match(server_seed_hex):
        raise InvalidRequest("a server seed is 64 lower-case hexadecimal characters")
    return server_seed_hex


def validate_client_seed(client_seed: str) -> str:
    """The seed as given, if it keeps the rule (`InvalidClientSeed` otherwise). Its UTF-8
    bytes are what the HMAC takes, so a verifier needs exactly these characters."""
    if not 1 <= len(client_seed) <= MAX_CLIENT_SEED_LENGTH:
        raise InvalidClientSeed()
    if client_seed.isascii() and client_seed.isprintable() and " " not in client_seed:
        # Every character is in "!".."~" (letters, digits, signs: no refused category): the
        # usual seed (hex, the default's) is checked at C speed, as it is on every bet.
        return client_seed
    for i, char in enumerate(client_seed):
        if unicodedata.category(char) in _REFUSED_CATEGORIES and not _joins_emoji(client_seed, i):
            raise InvalidClientSeed()
    return client_seed


def chosen_client_seed(text: str) -> str:
    """A client seed a player typed, as it is kept: composed (NFC), so the "й" a keyboard
    sends as two code points and the one it sends as one are the same seed, and shown back
    exactly as it will be hashed."""
    return validate_client_seed(unicodedata.normalize("NFC", text))


def _joins_emoji(text: str, i: int) -> bool:
    return (
        text[i] == _ZERO_WIDTH_JOINER
        and 0 < i < len(text) - 1
        and unicodedata.category(text[i - 1]) in _JOINED_BEFORE
        and unicodedata.category(text[i + 1]) == "So"
    )


def validate_nonce(nonce: int) -> int:
    if not 0 <= nonce < 2**63:
        raise InvalidRequest("a nonce is a whole number from 0")
    return nonce


def commitment(server_seed_hex: str) -> str:
    """What the player sees before betting: sha256 of the seed's hex text."""
    return hashlib.sha256(validate_server_seed(server_seed_hex).encode("ascii")).hexdigest()


def round_bytes(server_seed_hex: str, client_seed: str, nonce: int, round_: int) -> bytes:
    message = f"{client_seed}:{nonce}:{round_}".encode()
    return hmac.new(server_seed_hex.encode("ascii"), message, hashlib.sha256).digest()


def uint32_stream(server_seed_hex: str, client_seed: str, nonce: int) -> Iterator[int]:
    """The big-endian 32-bit words of rounds 0, 1, 2, … in order."""
    validate_server_seed(server_seed_hex)
    validate_client_seed(client_seed)
    validate_nonce(nonce)
    for round_ in count():
        block = round_bytes(server_seed_hex, client_seed, nonce, round_)
        for offset in range(0, len(block), 4):
            yield int.from_bytes(block[offset : offset + 4], "big")


def uint32s(server_seed_hex: str, client_seed: str, nonce: int, n: int) -> list[int]:
    """The first `n` words. Games map these with integer arithmetic, which equals the
    float formula exactly: float(word / 2**32) is exact, and so is its product with a
    number below 2**21."""
    return list(islice(uint32_stream(server_seed_hex, client_seed, nonce), n))


def to_float(word: int) -> float:
    """b0/256 + b1/256² + b2/256³ + b3/256⁴, as a verifier computes it."""
    return word / UINT32_SPACE


def word_probability(count_of_words: int) -> Fraction:
    return Fraction(count_of_words, UINT32_SPACE)


def words_mapping_to(bucket: int, buckets: int) -> int:
    """How many 32-bit words `w` satisfy floor(w * buckets / 2**32) == bucket: the exact
    weight of each outcome of a `floor(f * buckets)` mapping, used to compute RTP exactly."""
    if not 0 <= bucket < buckets:
        raise ValueError("bucket out of range")
    return _ceil_div((bucket + 1) * UINT32_SPACE, buckets) - _ceil_div(
        bucket * UINT32_SPACE, buckets
    )


def bucket_of(word: int, buckets: int) -> int:
    """floor(f * buckets) for the float of `word`, in exact integer arithmetic."""
    return (word * buckets) >> 32


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)
