"""The accepted currencies, kept as data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.money import Currency


class CurrencyCatalog(Protocol):
    """Where the accepted currencies are kept (data, not code)."""

    async def all(self) -> Sequence[Currency]: ...

    async def add(self, currency: Currency) -> bool:
        """Add a currency; False if that code already exists with the same exponent.
        A different exponent for an existing code is an `InvalidRequest`."""
        ...
