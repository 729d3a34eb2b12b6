"""Decimal numbers typed by clients, parsed with bounds before any arithmetic.

`Decimal("1e999999999")` is a valid number whose quantize or int() overflows the context or
takes minutes; a million digits are just as bad. Input is held to a plain decimal form with a
bounded number of digits first, so every later step is cheap and cannot overflow."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

from domain.errors import DomainError, InvalidRequest
from domain.quoting import excerpt

# 19 integer digits hold every int64; 18 places the finest currency exponent.
MAX_INTEGER_DIGITS: Final = 19
MAX_PLACES: Final = 18
_PLAIN: Final = re.compile(r"(-?)([0-9]+)(?:\.([0-9]*))?")


def parse_decimal(
    text: object,
    what: str,
    *,
    places: int,
    example: str,
    error: type[DomainError] = InvalidRequest,
    signed: bool = False,
) -> Decimal:
    """A plain decimal ("50", "50.5", "0.02") with at most `places` decimals; no exponent, no
    infinity or NaN, no more than MAX_INTEGER_DIGITS digits before the point. Anything else is
    `error` with a message that quotes at most a short excerpt of the input."""
    match = _PLAIN.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or (match.group(1) and not signed):
        raise error(f"{what} must be a number like {example}, got {excerpt(text)}")
    sign, whole, fraction = match.groups()
    fraction = (fraction or "").rstrip("0")
    if len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
        raise error(f"{what} has more than {MAX_INTEGER_DIGITS} digits, got {excerpt(text)}")
    if len(fraction) > places:
        if places == 0:
            raise error(f"{what} must be a whole number, got {excerpt(text)}")
        raise error(f"{what} takes at most {places} decimals, got {excerpt(text)}")
    return Decimal(f"{sign}{whole}.{fraction or '0'}")
