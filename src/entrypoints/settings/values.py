"""The text forms settings take in the environment beyond what pydantic reads by itself
(numbers, booleans, enums, paths): URLs of given schemes, per-currency amounts, names in any
case. Each is an `Annotated` type a declaration uses."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def url(*schemes: str) -> AfterValidator:
    """A URL whose scheme starts with one of `schemes` ("postgres" admits postgresql+asyncpg)."""

    def check(value: str | None) -> str | None:
        if value is None:
            return None
        if not _URL.match(value) or not value.split("://", 1)[0].lower().startswith(schemes):
            raise ValueError(f"must be a URL starting with {' or '.join(schemes)}")
        return value

    return AfterValidator(check)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


# An enum's or a name's value in whatever case the operator wrote it.
LOWERED = BeforeValidator(_lower)
UPPERED = BeforeValidator(_upper)


def _amounts(value: Any) -> Any:
    """`XTR=1000,TON=5` (codes in any case) as a mapping; the amounts are checked as integers
    by the type that follows."""
    if not isinstance(value, str):
        return value
    found: dict[str, str] = {}
    for item in value.split(","):
        code, sep, amount = item.partition("=")
        if not sep or not code.strip() or not amount.strip().isdigit():
            raise ValueError(f"takes CODE=AMOUNT,… in minor units; got {item!r}")
        found[code.strip().upper()] = amount.strip()
    return found


# Per currency code, in minor units: `CODE=AMOUNT,…`.
Amounts = Annotated[Mapping[str, Annotated[int, Field(ge=0)]], BeforeValidator(_amounts)]
PositiveAmounts = Annotated[Mapping[str, Annotated[int, Field(gt=0)]], BeforeValidator(_amounts)]


def written(amounts: Mapping[str, int]) -> str:
    """Amounts as the environment writes them (and the docs show a default)."""
    return ",".join(f"{code}={amount}" for code, amount in amounts.items())


def _networks(value: Any) -> Any:
    """`10.0.0.5,10.1.0.0/16` (addresses or CIDRs) as a tuple of networks' text, each
    checked; an empty text is none."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple):
        return value
    try:
        return tuple(str(ipaddress.ip_network(part, strict=False)) for part in value)
    except ValueError:
        raise ValueError(f"takes IP addresses or CIDRs, comma-separated; got {value!r}") from None


# IP addresses and networks: `10.0.0.5,10.1.0.0/16`.
Networks = Annotated[tuple[str, ...], BeforeValidator(_networks)]
