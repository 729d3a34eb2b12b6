"""The currency catalogue on its own transactions, for the use cases that read and add
currencies outside a unit of work (`croupier currency`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.repositories import SqlCurrencies
from domain.money import Currency


class SqlCurrencyCatalog:
    """`CurrencyCatalog` on the engine: each call is a transaction of its own."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def all(self) -> Sequence[Currency]:
        async with self._engine.connect() as conn:
            return await SqlCurrencies(conn).all()

    async def add(self, currency: Currency) -> bool:
        async with self._engine.begin() as conn:
            return await SqlCurrencies(conn).add(currency)
