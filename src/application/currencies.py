"""The accepted currencies, which are data, not code: listing them and accepting a new one
(`croupier currency`). Running services read the catalogue when they start, so they take a
new currency once restarted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.ports import CurrencyCatalog
from domain.money import Currency


class ListCurrencies:
    """Every accepted currency, by code."""

    def __init__(self, catalog: CurrencyCatalog) -> None:
        self._catalog = catalog

    async def __call__(self) -> Sequence[Currency]:
        return await self._catalog.all()


@dataclass(frozen=True, slots=True)
class CurrencyAdded:
    currency: Currency
    added: bool  # False: it was accepted already, with the same exponent


class AddCurrency:
    """Accept a currency: its code (upper-cased), how many decimal places its minor unit has,
    and a human name. Adding it again is a no-op; the same code with another exponent is an
    `InvalidRequest` (amounts already stored would change meaning)."""

    def __init__(self, catalog: CurrencyCatalog) -> None:
        self._catalog = catalog

    async def __call__(self, code: str, exponent: int, name: str = "") -> CurrencyAdded:
        currency = Currency(code.upper(), exponent, name)
        return CurrencyAdded(currency, await self._catalog.add(currency))
