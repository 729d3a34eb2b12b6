"""A unit of work is one PostgreSQL transaction on one pooled connection."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.postgres.adjustments import SqlAdjustmentRequests
from adapters.postgres.bets import SqlBets
from adapters.postgres.games import SqlGameConfigs
from adapters.postgres.ledger import SqlLedger
from adapters.postgres.outbox import SqlOutbox
from adapters.postgres.preferences import SqlPlayerPreferences
from adapters.postgres.provider_transactions import SqlProviderTransactions
from adapters.postgres.repositories import (
    SqlAccounts,
    SqlCurrencies,
    SqlPlayers,
    provision_house_accounts,
)
from adapters.postgres.responsible import SqlResponsibleGambling
from adapters.postgres.risk import SqlRisk
from adapters.postgres.seeds import SqlSeedPairs
from adapters.postgres.staff import SqlAuditLog, SqlStaff
from adapters.postgres.stars import SqlStarsPayments
from adapters.postgres.withdrawals import SqlWithdrawals
from adapters.seed_cipher import SeedCipher
from domain.money import CurrencyRegistry


class SqlUnitOfWork:
    players: SqlPlayers
    accounts: SqlAccounts
    ledger: SqlLedger
    bets: SqlBets
    seeds: SqlSeedPairs
    games: SqlGameConfigs
    staff: SqlStaff
    audit: SqlAuditLog
    adjustments: SqlAdjustmentRequests
    preferences: SqlPlayerPreferences
    provider_transactions: SqlProviderTransactions
    responsible: SqlResponsibleGambling
    stars: SqlStarsPayments
    risk: SqlRisk
    withdrawals: SqlWithdrawals
    # The events of this transaction, written just before it commits (see adapters.outbox).
    outbox: SqlOutbox

    def __init__(
        self,
        engine: AsyncEngine,
        currencies: CurrencyRegistry,
        house_ids: dict[tuple[str, str, int], int],
        cipher: SeedCipher,
    ) -> None:
        self._engine = engine
        self._currencies = currencies
        self._house_ids = house_ids
        self._cipher = cipher
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        if self._conn is not None:
            raise RuntimeError("a unit of work is entered once; ask the factory for another")
        conn = await self._engine.connect()
        try:
            await conn.begin()
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        self.outbox = SqlOutbox(conn)
        self.players = SqlPlayers(conn)
        self.accounts = SqlAccounts(conn, self._currencies, self._house_ids)
        self.ledger = SqlLedger(conn, self._currencies, self.outbox)
        self.bets = SqlBets(conn, self._currencies, self.outbox)
        self.seeds = SqlSeedPairs(conn, self._cipher)
        self.games = SqlGameConfigs(conn)
        self.staff = SqlStaff(conn)
        self.audit = SqlAuditLog(conn)
        self.adjustments = SqlAdjustmentRequests(conn, self._currencies)
        self.preferences = SqlPlayerPreferences(conn)
        self.provider_transactions = SqlProviderTransactions(conn, self._currencies)
        self.responsible = SqlResponsibleGambling(conn, self._currencies)
        self.stars = SqlStarsPayments(conn)
        self.risk = SqlRisk(conn, self.outbox)
        self.withdrawals = SqlWithdrawals(conn, self._currencies, self.outbox)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
        finally:
            await conn.close()

    async def commit(self) -> None:
        assert self._conn is not None, "commit outside the unit of work"
        await self.outbox.flush()
        await self._conn.commit()

    async def rollback(self) -> None:
        assert self._conn is not None, "rollback outside the unit of work"
        self.outbox.discard()
        await self._conn.rollback()


class SqlUnitOfWorkFactory:
    """Makes units of work that share one engine, currency registry and house-account cache."""

    def __init__(
        self,
        engine: AsyncEngine,
        currencies: CurrencyRegistry,
        house_ids: dict[tuple[str, str, int], int],
        cipher: SeedCipher,
    ) -> None:
        self._engine = engine
        self._currencies = currencies
        self._house_ids = house_ids
        self._cipher = cipher

    @property
    def currencies(self) -> CurrencyRegistry:
        return self._currencies

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engine, self._currencies, self._house_ids, self._cipher)


async def start_unit_of_work_factory(
    engine: AsyncEngine, house_shards: int, cipher: SeedCipher
) -> SqlUnitOfWorkFactory:
    """Load the currency catalogue and make sure every house account shard exists, then hand
    out units of work. Run once per process, after migrations."""
    async with engine.begin() as conn:
        currencies = CurrencyRegistry(await SqlCurrencies(conn).all())
        house_ids = await provision_house_accounts(conn, currencies, house_shards)
    return SqlUnitOfWorkFactory(engine, currencies, house_ids, cipher)
