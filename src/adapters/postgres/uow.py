"""A unit of work is one PostgreSQL transaction on one pooled connection."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

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


class SqlUnitOfWork:
    players: SqlPlayers
    accounts: SqlAccounts
    ledger: SqlLedger
    bets: SqlBets
    placements: SqlPlacements
    mines: SqlMines
    seeds: SqlSeedPairs
    games: SqlGameConfigs
    staff: SqlStaff
    audit: SqlAuditLog
    adjustments: SqlAdjustmentRequests
    preferences: SqlPlayerPreferences
    provider_transactions: SqlProviderTransactions
    key_usage: SqlKeyUsage
    responsible: SqlResponsibleGambling
    stars: SqlStarsPayments
    risk: SqlRisk
    withdrawals: SqlWithdrawals
    crash: SqlCrashRounds
    notices: SqlNoticeStore
    notice_choices: SqlNoticeChoiceStore
    bonuses: SqlBonuses
    free_bets: SqlFreeBets
    duels: SqlDuels
    lobbies: SqlLobbies
    duel_groups: SqlDuelGroups
    crypto_invoices: SqlCryptoInvoices
    kept_answers: SqlKeptAnswers
    aggregator_games: SqlAggregatorGames
    # The events raised in this transaction, written just before it commits.
    outbox: SqlOutbox

    def __init__(
        self,
        engine: AsyncEngine,
        currencies: CurrencyRegistry,
        house_ids: dict[tuple[str, str, int], int],
        cipher: SeedCipher,
        personal: PersonalDataCipher,
    ) -> None:
        self._engine = engine
        self._currencies = currencies
        self._house_ids = house_ids
        self._cipher = cipher
        self._personal = personal
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        if self._conn is not None:
            raise RuntimeError("a unit of work is entered once; ask the factory for another")
        # A refused connect is StorageUnavailable already (adapters.postgres.engine).
        conn = await self._engine.connect()
        try:
            await conn.begin()
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        self.outbox = SqlOutbox(conn)
        self.players = SqlPlayers(conn, self._personal)
        self.accounts = SqlAccounts(conn, self._currencies, self._house_ids)
        self.ledger = SqlLedger(conn, self._currencies)
        self.bets = SqlBets(conn, self._currencies)
        self.seeds = SqlSeedPairs(conn, self._cipher)
        self.games = SqlGameConfigs(conn)
        self.placements = SqlPlacements(
            conn, self.bets, self.seeds, self.games, SnapshotPlacements(conn, self._cipher)
        )
        self.mines = SqlMines(conn)
        self.staff = SqlStaff(conn, self._personal)
        self.audit = SqlAuditLog(conn)
        self.adjustments = SqlAdjustmentRequests(conn, self._currencies)
        self.preferences = SqlPlayerPreferences(conn)
        self.provider_transactions = SqlProviderTransactions(conn, self._currencies)
        self.key_usage = SqlKeyUsage(conn)
        self.responsible = SqlResponsibleGambling(conn, self._currencies)
        self.stars = SqlStarsPayments(conn)
        self.risk = SqlRisk(conn, self._personal)
        self.withdrawals = SqlWithdrawals(conn, self._currencies, self._personal)
        self.crash = SqlCrashRounds(conn)
        self.notices = SqlNoticeStore(conn)
        self.notice_choices = SqlNoticeChoiceStore(conn)
        self.budgets = SqlPromotionBudgets(conn, self._currencies)
        self.campaigns = SqlCampaigns(conn, self._currencies)
        self.bonuses = SqlBonuses(conn, self._currencies)
        self.vip = SqlVipBook(conn, self._currencies)
        self.referrals = SqlReferrals(conn)
        self.free_bets = SqlFreeBets(conn, self._currencies)
        self.duels = SqlDuels(conn, self._currencies, self._personal)
        self.lobbies = SqlLobbies(conn, self._currencies)
        self.duel_groups = SqlDuelGroups(conn, self._currencies)
        self.crypto_invoices = SqlCryptoInvoices(conn, self._currencies)
        self.kept_answers = SqlKeptAnswers(conn)
        self.aggregator_games = SqlAggregatorGames(conn)
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

    def raise_events(self, *events: DomainEvent) -> None:
        assert self._conn is not None, "events raised outside the unit of work"
        self.outbox.add(*events)

    async def commit(self) -> None:
        assert self._conn is not None, "commit outside the unit of work"
        road = self.placements.road
        if road.deferred is not None:
            # A placement decided on a snapshot: its write carries the events and, when
            # nothing else ran in this unit of work, is the whole transaction (COMMIT below
            # is then a no-op: no BEGIN was sent).
            events = self.outbox.pending
            self.outbox.discard()
            await road.send(events)
        else:
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
        personal: PersonalDataCipher,
    ) -> None:
        self._engine = engine
        self._currencies = currencies
        self._house_ids = house_ids
        self._cipher = cipher
        self._personal = personal

    @property
    def currencies(self) -> CurrencyRegistry:
        return self._currencies

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self._engine, self._currencies, self._house_ids, self._cipher, self._personal
        )


async def start_unit_of_work_factory(
    engine: AsyncEngine, house_shards: int, cipher: SeedCipher, personal: PersonalDataCipher
) -> SqlUnitOfWorkFactory:
    """Load the currency catalogue and make sure every house account shard exists, then hand
    out units of work. Run once per process, after migrations."""
    async with engine.begin() as conn:
        currencies = CurrencyRegistry(await SqlCurrencies(conn).all())
        house_ids = await provision_house_accounts(conn, currencies, house_shards)
        # Building a configuration checks the game's exact RTP once per process (dice: ~0.3 s);
        # do it now rather than in the first bet of each game.
        await SqlGameConfigs(conn).all()
    return SqlUnitOfWorkFactory(engine, currencies, house_ids, cipher, personal)
