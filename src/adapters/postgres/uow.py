"""A unit of work is one PostgreSQL transaction on one pooled connection."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, overload

from sqlalchemy import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import greenlet_spawn

from adapters.personal_data import PersonalDataCipher
from adapters.postgres.adjustments import SqlAdjustmentRequests
from adapters.postgres.aggregator_games import SqlAggregatorGames
from adapters.postgres.bets import SqlBets
from adapters.postgres.bonuses import SqlBonuses
from adapters.postgres.campaigns import SqlCampaigns
from adapters.postgres.crash import SqlCrashRounds
from adapters.postgres.crypto_invoices import SqlCryptoInvoices
from adapters.postgres.duel_groups import SqlDuelGroups
from adapters.postgres.duel_lobbies import SqlLobbies
from adapters.postgres.duels import SqlDuels
from adapters.postgres.free_bets import SqlFreeBets
from adapters.postgres.games import SqlGameConfigs
from adapters.postgres.kept_answers import SqlKeptAnswers
from adapters.postgres.key_usage import SqlKeyUsage
from adapters.postgres.ledger import SqlLedger
from adapters.postgres.mines import SqlMines
from adapters.postgres.notice_choices import SqlNoticeChoiceStore
from adapters.postgres.notices import SqlNoticeStore
from adapters.postgres.outbox import SqlOutbox
from adapters.postgres.placement_timings import PlacementTimings
from adapters.postgres.placements import SqlPlacements
from adapters.postgres.preferences import SqlPlayerPreferences
from adapters.postgres.promotion_budgets import SqlPromotionBudgets
from adapters.postgres.provider_transactions import SqlProviderTransactions
from adapters.postgres.referrals import SqlReferrals
from adapters.postgres.repositories import (
    SqlAccounts,
    SqlCurrencies,
    SqlPlayers,
    provision_house_accounts,
)
from adapters.postgres.responsible import SqlResponsibleGambling
from adapters.postgres.risk import SqlRisk
from adapters.postgres.seeds import SqlSeedPairs
from adapters.postgres.snapshot_placements import SnapshotPlacements
from adapters.postgres.staff import SqlAuditLog, SqlStaff
from adapters.postgres.stars import SqlStarsPayments
from adapters.postgres.vip import SqlVipBook
from adapters.postgres.withdrawals import SqlWithdrawals
from adapters.seed_cipher import SeedCipher
from domain.events import DomainEvent
from domain.money import CurrencyRegistry

R = TypeVar("R")


class _Built(Generic[R]):
    """A repository of a unit of work, built on its first use in it and kept for the rest.

    A unit of work offers some forty repositories and a bet's uses three or four: building
    them all on entry was ~7 µs of every unit of work (bench/README.md, issue 19)."""

    def __init__(self, build: Callable[[SqlUnitOfWork, AsyncConnection], R]) -> None:
        self._build = build

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, uow: None, owner: type) -> Self: ...

    @overload
    def __get__(self, uow: SqlUnitOfWork, owner: type) -> R: ...

    def __get__(self, uow: SqlUnitOfWork | None, owner: type) -> R | Self:
        if uow is None:
            return self
        conn = uow._conn
        if conn is None:
            raise RuntimeError("a unit of work's repositories are used inside its block")
        built = self._build(uow, conn)
        # The instance's own attribute from now on: this descriptor has no __set__, so the
        # next read finds it without calling here.
        uow.__dict__[self._name] = built
        return built


class SqlUnitOfWork:
    # Declared ahead of the repositories that are built from them.
    _currencies: CurrencyRegistry
    _house_ids: dict[tuple[str, str, int], int]
    _cipher: SeedCipher
    _personal: PersonalDataCipher

    players = _Built(lambda u, c: SqlPlayers(c, u._personal))
    accounts = _Built(lambda u, c: SqlAccounts(c, u._currencies, u._house_ids))
    ledger = _Built(lambda u, c: SqlLedger(c, u._currencies))
    bets = _Built(lambda u, c: SqlBets(c, u._currencies))
    mines = _Built(lambda u, c: SqlMines(c))
    seeds = _Built(lambda u, c: SqlSeedPairs(c, u._cipher))
    games = _Built(lambda u, c: SqlGameConfigs(c))
    placements = _Built(
        lambda u, c: SqlPlacements(
            c,
            u.bets,
            u.seeds,
            u.games,
            SnapshotPlacements(c, u._cipher, fairy=u._fairy, timings=u._timings),
        )
    )
    staff = _Built(lambda u, c: SqlStaff(c, u._personal))
    audit = _Built(lambda u, c: SqlAuditLog(c))
    adjustments = _Built(lambda u, c: SqlAdjustmentRequests(c, u._currencies))
    preferences = _Built(lambda u, c: SqlPlayerPreferences(c))
    provider_transactions = _Built(lambda u, c: SqlProviderTransactions(c, u._currencies))
    key_usage = _Built(lambda u, c: SqlKeyUsage(c))
    responsible = _Built(lambda u, c: SqlResponsibleGambling(c, u._currencies))
    stars = _Built(lambda u, c: SqlStarsPayments(c))
    risk = _Built(lambda u, c: SqlRisk(c, u._personal))
    withdrawals = _Built(lambda u, c: SqlWithdrawals(c, u._currencies, u._personal))
    crash = _Built(lambda u, c: SqlCrashRounds(c))
    notices = _Built(lambda u, c: SqlNoticeStore(c))
    notice_choices = _Built(lambda u, c: SqlNoticeChoiceStore(c))
    budgets = _Built(lambda u, c: SqlPromotionBudgets(c, u._currencies))
    campaigns = _Built(lambda u, c: SqlCampaigns(c, u._currencies))
    bonuses = _Built(lambda u, c: SqlBonuses(c, u._currencies))
    vip = _Built(lambda u, c: SqlVipBook(c, u._currencies))
    referrals = _Built(lambda u, c: SqlReferrals(c))
    free_bets = _Built(lambda u, c: SqlFreeBets(c, u._currencies))
    duels = _Built(lambda u, c: SqlDuels(c, u._currencies, u._personal))
    lobbies = _Built(lambda u, c: SqlLobbies(c, u._currencies))
    duel_groups = _Built(lambda u, c: SqlDuelGroups(c, u._currencies))
    crypto_invoices = _Built(lambda u, c: SqlCryptoInvoices(c, u._currencies))
    kept_answers = _Built(lambda u, c: SqlKeptAnswers(c))
    aggregator_games = _Built(lambda u, c: SqlAggregatorGames(c))
    # The events raised in this transaction, written just before it commits.
    outbox = _Built(lambda u, c: SqlOutbox(c))

    def __init__(
        self,
        engine: AsyncEngine,
        currencies: CurrencyRegistry,
        house_ids: dict[tuple[str, str, int], int],
        cipher: SeedCipher,
        personal: PersonalDataCipher,
        timings: PlacementTimings | None = None,
    ) -> None:
        self._engine = engine
        self._currencies = currencies
        self._house_ids = house_ids
        self._cipher = cipher
        self._personal = personal
        self._timings: PlacementTimings | None = timings
        self._conn: AsyncConnection | None = None
        # The pooled connection under `_conn` (SQLAlchemy's `_ConnectionFairy`): the snapshot
        # road sends its statements through its driver connection.
        self._fairy: Any = None

    async def __aenter__(self) -> Self:
        if self._conn is not None:
            raise RuntimeError("a unit of work is entered once; ask the factory for another")
        # One hop through SQLAlchemy's greenlet bridge for the checkout, the transaction's
        # start and the pooled connection, where `AsyncEngine.connect`, `begin` and
        # `get_raw_connection` take one each. A refused connect is StorageUnavailable already
        # (adapters.postgres.engine).
        sync, self._fairy = await greenlet_spawn(_begun, self._engine.sync_engine)
        self._conn = AsyncConnection(self._engine, sync)
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
        if self._sends_nothing() and _takes_back_quietly(self._engine.sync_engine.pool):
            # Rolls back nothing, and the pool's queue takes the connection (its reset is the
            # driver's rollback: nothing either).
            conn.sync_connection.close()  # type: ignore[union-attr]  # set in __aenter__
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
        finally:
            await conn.close()

    def _sends_nothing(self) -> bool:
        """Whether ending this transaction sends nothing to the server: no SQLAlchemy statement
        ran in it, so the driver never sent BEGIN (the asyncpg dialect begins on the first
        statement; the snapshot road's statements go through the driver itself, each its own
        transaction), and the connection is sound. Then SQLAlchemy's commit, rollback and close
        are plain Python and run without a hop through its greenlet bridge: a hop is a new
        greenlet, ~10 µs with, on Python 3.11, a 16 KiB frame stack mapped and unmapped
        (bench/README.md, issue 19: five hops were ten system calls a bet alone)."""
        conn = self._conn
        if conn is None or conn.invalidated:
            return False
        # The dialect's transaction, None until its first statement (an attribute of
        # SQLAlchemy's asyncpg adapter; missing, the hop is taken: always right, only slower).
        adapted = self._fairy.dbapi_connection
        return adapted is not None and getattr(adapted, "_transaction", True) is None

    def raise_events(self, *events: DomainEvent) -> None:
        assert self._conn is not None, "events raised outside the unit of work"
        self.outbox.add(*events)

    async def commit(self) -> None:
        assert self._conn is not None, "commit outside the unit of work"
        # Only what this unit of work built: a repository never used has nothing to send.
        built = self.__dict__
        placements: SqlPlacements | None = built.get("placements")
        outbox: SqlOutbox | None = built.get("outbox")
        if placements is not None and placements.road.deferred is not None:
            # A placement decided on a snapshot: its write carries the events and, when
            # nothing else ran in this unit of work, is the whole transaction (COMMIT below
            # is then a no-op: no BEGIN was sent).
            events = () if outbox is None else outbox.pending
            if outbox is not None:
                outbox.discard()
            await placements.road.send(events)
        elif outbox is not None:
            await outbox.flush()
        if self._sends_nothing():
            self._conn.sync_connection.commit()  # type: ignore[union-attr]  # set in __aenter__
        else:
            await self._conn.commit()

    async def rollback(self) -> None:
        assert self._conn is not None, "rollback outside the unit of work"
        outbox: SqlOutbox | None = self.__dict__.get("outbox")
        if outbox is not None:
            outbox.discard()
        await self._conn.rollback()


def _begun(engine: Engine) -> tuple[Connection, Any]:
    """Inside SQLAlchemy's greenlet bridge: a pooled connection (its checkout may connect or
    ping: I/O) with its transaction begun (no round trip: see `_sends_nothing`), and the pooled
    connection itself, read while it is known valid."""
    conn = engine.connect()
    try:
        conn.begin()
        fairy = conn.connection
    except BaseException:
        conn.close()
        raise
    return conn, fairy


def _takes_back_quietly(pool: Any) -> bool:
    """Whether the pool takes a connection back into its queue: a queue that is full closes
    it instead (an overflow connection), which awaits the driver."""
    return isinstance(pool, QueuePool) and pool.checkedin() < pool.size()


class SqlUnitOfWorkFactory:
    """Makes units of work that share one engine, currency registry and house-account cache."""

    def __init__(
        self,
        engine: AsyncEngine,
        currencies: CurrencyRegistry,
        house_ids: dict[tuple[str, str, int], int],
        cipher: SeedCipher,
        personal: PersonalDataCipher,
        timings: PlacementTimings | None = None,
    ) -> None:
        self._engine = engine
        self._currencies = currencies
        self._house_ids = house_ids
        self._cipher = cipher
        self._personal = personal
        self._timings = timings

    @property
    def currencies(self) -> CurrencyRegistry:
        return self._currencies

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self._engine,
            self._currencies,
            self._house_ids,
            self._cipher,
            self._personal,
            self._timings,
        )


async def start_unit_of_work_factory(
    engine: AsyncEngine,
    house_shards: int,
    cipher: SeedCipher,
    personal: PersonalDataCipher,
    timings: PlacementTimings | None = None,
) -> SqlUnitOfWorkFactory:
    """Load the currency catalogue and make sure every house account shard exists, then hand
    out units of work (their snapshot road's batches timed into `timings`). Run once per
    process, after migrations."""
    async with engine.begin() as conn:
        currencies = CurrencyRegistry(await SqlCurrencies(conn).all())
        house_ids = await provision_house_accounts(conn, currencies, house_shards)
        # Building a configuration checks the game's exact RTP once per process (dice: ~0.3 s);
        # do it now rather than in the first bet of each game.
        await SqlGameConfigs(conn).all()
    return SqlUnitOfWorkFactory(engine, currencies, house_ids, cipher, personal, timings)
