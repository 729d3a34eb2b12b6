"""The provably fair scheme public verifiers reproduce.

bytes = HMAC_SHA256(key=server_seed_hex, msg=f"{client_seed}:{nonce}:{round}"), 32 bytes a
round; a float in [0, 1) is four bytes read big-endian over 2**32, eight floats a round. The key
is the 64-character hex text itself (ASCII), and the commitment shown before any bet is the
SHA-256 of that same text."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator
from fractions import Fraction
from itertools import count, islice

from domain.errors import InvalidRequest

SERVER_SEED_BYTES = 32
MAX_CLIENT_SEED_LENGTH = 64
FIRST_NONCE = 0  # a new seed pair's first bet uses nonce 0
UINT32_SPACE = 2**32

_SERVER_SEED = re.compile(r"^[0-9a-f]{64}$")
_CLIENT_SEED = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces


def validate_server_seed(server_seed_hex: str) -> str:
    if not _SERVER_SEED.match(server_seed_hex):
        raise InvalidRequest("a server seed is 64 lower-case hexadecimal characters")
    return server_seed_hex


def validate_client_seed(client_seed: str) -> str:
    if not 1 <= len(client_seed) <= MAX_CLIENT_SEED_LENGTH or not _CLIENT_SEED.match(client_seed):
        raise InvalidRequest(
            f"a client seed is 1-{MAX_CLIENT_SEED_LENGTH} printable characters without spaces"
        )
    return client_seed


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
