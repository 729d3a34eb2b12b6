"""Crash's fairness scheme and its clock, in plain Python (the bustabit scheme).

Chain: h_0 = sha256(secret), h_{i+1} = sha256(hex(h_i)), where hex(h) is the 64-character
lower-case hex text of h as ASCII. The operator publishes the end h_N before the first round;
round n (1..N) uses h_{N-n}, so a round's hash hashed forward n times is the published end,
and a revealed hash tells nothing about the rounds still to come (they use earlier links).

Crash point of a round whose hash is g (hex text):
    x = HMAC_SHA256(key = salt as UTF-8, msg = g as ASCII), as hex;
    r = the first 13 hex digits of x (52 bits);
    crash (hundredths) = max(100, floor(99 * 2**52 / (2**52 - r)))
which is bustabit's max(1, floor(99 / (1 - r / 2**52)) / 100) computed exactly in integers (a
verifier in doubles agrees except, at worst, on a result that lands exactly on a hundredth).
The salt is public and fixed with the chain's commitment. Nothing of a round's bets enters.
P(crash >= m) is exact over the 2**52 values of r (`probability_at_least`): about 0.99 / m, and
1.00x for about 1% of rounds.

The round's clock: the multiplier t ms after the start is floor(100 * e^(0.00006 * t)) / 100
(`multiplier_at`); `ms_to_reach` is its inverse, the first whole millisecond at which a
multiplier is reached, so an automatic cash-out and the crash itself have a time."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Iterator
from fractions import Fraction

from domain.errors import InvalidRequest

R_BITS = 52
R_SPACE = 1 << R_BITS
GROWTH_PER_MS = 0.00006
HUNDREDTHS = 100
ONE_X = 100  # 1.00x in hundredths
# Nothing pays more than this: a round whose crash point is higher ends here, and every bet
# still riding is cashed out at it (a bet with no automatic target rides to it at most). Part of
# the public formula, like the 1% edge, so no configuration can change a committed chain's rounds.
MAX_MULTIPLIER = 100_000  # 1,000.00x in hundredths
MAX_CHAIN_LENGTH = 100_000_000
SECRET_BYTES = 32

_HASH = re.compile(r"^[0-9a-f]{64}$")


def validate_hash(text: str) -> str:
    if not _HASH.match(text):
        raise InvalidRequest("a crash round hash is 64 lower-case hexadecimal characters")
    return text


def first_link(secret: bytes) -> str:
    """h_0, as hex text."""
    if len(secret) < 16:
        raise InvalidRequest("a crash chain's secret is at least 16 bytes")
    return hashlib.sha256(secret).hexdigest()


def next_link(link: str) -> str:
    """h_{i+1} from h_i: the SHA-256 of h_i's hex text."""
    return hashlib.sha256(validate_hash(link).encode("ascii")).hexdigest()


def links(start: str, steps: int) -> Iterator[str]:
    """start, then `steps` links hashed forward from it."""
    link = start
    yield link
    for _ in range(steps):
        link = next_link(link)
        yield link


def hash_forward(link: str, steps: int) -> str:
    last = link
    for last in links(link, steps):  # noqa: B007 - the last one is the answer
        pass
    return last


def link_index_of_round(length: int, round_number: int) -> int:
    """Round n uses h_{N-n}."""
    if not 1 <= round_number <= length:
        raise InvalidRequest(f"a chain of {length} links has rounds 1 to {length}")
    return length - round_number


def verify_round_hash(round_hash: str, round_number: int, published_end: str) -> bool:
    """Whether a revealed round hash leads to the published end in exactly n steps."""
    return hash_forward(validate_hash(round_hash), round_number) == validate_hash(published_end)


def crash_point(round_hash: str, salt: str) -> int:
    """The round's crash point in hundredths, capped at MAX_MULTIPLIER (module docstring)."""
    return min(uncapped_crash_point(round_hash, salt), MAX_MULTIPLIER)


def uncapped_crash_point(round_hash: str, salt: str) -> int:
    digest = hmac.new(
        salt.encode("utf-8"), validate_hash(round_hash).encode("ascii"), hashlib.sha256
    ).hexdigest()
    return point_of_r(int(digest[:13], 16))


def point_of_r(r: int) -> int:
    """The crash point in hundredths for the 52-bit value r (uncapped)."""
    if not 0 <= r < R_SPACE:
        raise InvalidRequest("r is a 52-bit value")
    return max(ONE_X, 99 * R_SPACE // (R_SPACE - r))


def probability_at_least(multiplier: int) -> Fraction:
    """Exact P(crash >= multiplier), multiplier in hundredths, over the 2**52 equally likely r.

    For m > 100: floor(99 N / (N - r)) >= m  <=>  99 N / (N - r) >= m  (m is whole)
    <=>  r >= N - 99 N / m  <=>  r >= ceil(N (m - 99) / m); the count of such r is
    N - ceil(N (m - 99) / m). The cap makes every m above it unreachable."""
    if multiplier <= ONE_X:
        return Fraction(1)
    if multiplier > MAX_MULTIPLIER:
        return Fraction(0)
    first = -(-R_SPACE * (multiplier - 99) // multiplier)  # ceil
    return Fraction(R_SPACE - first, R_SPACE)


def multiplier_at(ms: int) -> int:
    """The multiplier in hundredths `ms` milliseconds after the round started (1.00x before)."""
    if ms <= 0:
        return ONE_X
    return math.floor(HUNDREDTHS * math.exp(GROWTH_PER_MS * ms))


def ms_to_reach(multiplier: int) -> int:
    """The first whole millisecond at which `multiplier_at` reaches `multiplier` (hundredths)."""
    if multiplier <= ONE_X:
        return 0
    if multiplier > MAX_MULTIPLIER:
        raise InvalidRequest("no crash multiplier goes above the cap")
    guess = max(0, math.ceil(math.log(multiplier / HUNDREDTHS) / GROWTH_PER_MS))
    # The closed form is within a millisecond or two of the answer in floats; settle it
    # against the forward function itself so the two never disagree.
    while guess > 0 and multiplier_at(guess - 1) >= multiplier:
        guess -= 1
    while multiplier_at(guess) < multiplier:
        guess += 1
    return guess


def round_check_lines(
    round_number: int, round_hash: str, salt: str, published_end: str
) -> list[str]:
    """What `croupier verify --game crash` prints: the link checked against the published end,
    then the crash point recomputed; `InvalidRequest` when the link does not lead to the end."""
    if round_number < 1:
        raise InvalidRequest("crash rounds are numbered from 1")
    if not verify_round_hash(round_hash, round_number, published_end):
        raise InvalidRequest(
            f"hashing {round_hash} forward {round_number} times does not give the published "
            f"end {published_end}: not round {round_number} of that chain"
        )
    point = crash_point(round_hash, salt)
    return [
        f"round {round_number}: hash {round_hash}",
        f"chain: hashed forward {round_number} times = published end {published_end} (ok)",
        f"crash point: HMAC-SHA256(key=salt, msg=hash) -> {point // 100}.{point % 100:02d}x",
    ]
