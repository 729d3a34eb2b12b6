"""Dependency wiring for every process kind, in one place.

APP scope: settings, the engine, the Redis client, the unit-of-work factory, the clock.
REQUEST scope: use cases (one per request, update or RPC)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from dishka import AsyncContainer, Provider, Scope, make_async_container, provide
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.clock import SystemClock
from adapters.ids import UuidV7Generator
from adapters.login_throttle import RedisLoginThrottle
from adapters.passwords import Argon2Hasher
from adapters.personal_data import PersonalDataCipher, development_keys
from adapters.postgres.api_keys import SqlApiKeyStore
from adapters.postgres.engine import create_engine
from adapters.postgres.outbox import SqlOutboxFeed
from adapters.postgres.reconcile import SqlBooksAudit
from adapters.postgres.uow import SqlUnitOfWorkFactory, start_unit_of_work_factory
from adapters.prometheus.bets import PrometheusBetMetrics
from adapters.redis_client import create_redis
from adapters.redis_events import RedisEventPublisher
from adapters.seed_cipher import SecretsSeedSource, SeedCipher, development_seed_key
from adapters.tokens import JwtPlayerSessions, JwtTokens
from adapters.totp import TotpCodes
from adapters.velocity import RedisVelocityLimiter
from application.access import ApiKeyStore, Authenticate, IssueApiKey, RevokeApiKey
from application.adjustments import DecideAdjustment, ListAdjustments, RequestAdjustment
from application.audit import SearchAudit
from application.balances import GetBalances
from application.bankroll import FundBankroll
from application.bet_queue import BetQueue
from application.betting import GetBet, PlaceBet, SettleDiceBet, VoidBet
from application.game_admin import ListGames, UpdateGame
from application.history import ListHistory, RecentBets
from application.house import HouseBook
from application.onboarding import AcceptTerms, SetLanguage, StartPlayer
from application.ports import (
    BetMetrics,
    BooksAudit,
    Clock,
    IdGenerator,
    LoginThrottle,
    OneTimeCodes,
    PasswordHasher,
    PlayerSessions,
    SeedSource,
    TokenCodec,
    UnitOfWorkFactory,
    VelocityLimiter,
)
from application.postings import AdjustBalance, CreditDeposit, DebitWallet, Transfer
from application.reconciliation import Reconcile
from application.registration import OpenWallet, RegisterPlayer
from application.relay import OutboxRelay, RelaySettings
from application.responsible import (
    AcknowledgeRealityCheck,
    ConfirmLimitIncrease,
    GetResponsibleStatus,
    RemoveLimit,
    ResponsibleGamblingGuard,
    SelfExclude,
    SetLimit,
    SetRealityCheck,
    StartTimeout,
)
from application.risk import RiskReview
from application.seamless import SeamlessCredit, SeamlessDebit, SeamlessRollback
from application.seeds import GetSeedPair, RotateSeedPair
from application.staff import AuthenticateStaff, CreateStaff, EnableTotp, IssueStaffKey, Login
from application.velocity import VelocityPolicy
from application.verification import VerifyBet
from domain.adjustments import FourEyesPolicy
from domain.money import CurrencyRegistry
from domain.velocity import VelocityAction, VelocityLimit
from entrypoints.bot.app import build_dispatcher
from entrypoints.bot.runtime import TelegramRuntime, bot_id_of
from entrypoints.bot.settings import BotOptions
from entrypoints.http.live import LiveProvider
from entrypoints.http.miniapp import MiniAppProvider
from entrypoints.http.payments import PaymentsProvider
from entrypoints.http.players import AdminQueriesProvider
from entrypoints.http.reports import ReportsProvider
from entrypoints.http.risk import RiskProvider
from entrypoints.http.withdrawals import WithdrawalsProvider
from entrypoints.infrastructure import Endpoints, ReportsEngine
from entrypoints.settings import Settings


def personal_data_cipher(settings: Settings) -> PersonalDataCipher:
    """The configured personal-data keys; a development install keeps generated ones in its
    data folder (production refuses to start without them)."""
    ring, index = settings.pii_keys, settings.pii_index_key
    if ring is None or index is None:
        generated_ring, generated_index = development_keys(settings.data_dir.resolve())
        ring, index = ring or generated_ring, index or generated_index
    return PersonalDataCipher.from_text(ring, index)


class InfrastructureProvider(Provider):
    """Connections to the outside world, shared by the whole process."""

    scope = Scope.APP

    def __init__(self, settings: Settings, endpoints: Endpoints) -> None:
        super().__init__()
        self._settings = settings
        self._endpoints = endpoints

    @provide
    def settings(self) -> Settings:
        return self._settings

    @provide
    def endpoints(self) -> Endpoints:
        return self._endpoints

    @provide
    async def engine(self) -> AsyncIterator[AsyncEngine]:
        engine = create_engine(self._endpoints.database_url, pool_size=self._settings.db_pool_size)
        yield engine
        await engine.dispose()

    @provide
    async def reports_engine(self, primary: AsyncEngine) -> AsyncIterator[ReportsEngine]:
        url = self._settings.reports_database_url
        if url is None:
            yield ReportsEngine(primary)
            return
        # Reports are few and long: a small pool of their own on the replica.
        engine = create_engine(url, pool_size=min(self._settings.db_pool_size, 5))
        yield ReportsEngine(engine)
        await engine.dispose()

    @provide
    async def redis(self) -> AsyncIterator[Redis]:
        client = create_redis(self._endpoints.redis_url)
        yield client
        await client.aclose()

    @provide
    def outbox_relay(self, engine: AsyncEngine, redis: Redis) -> OutboxRelay:
        settings = self._settings
        return OutboxRelay(
            SqlOutboxFeed(engine),
            RedisEventPublisher(redis, max_stream_length=settings.events_stream_max_length),
            RelaySettings(
                poll_interval=settings.relay_poll_interval_ms / 1000,
                batch_size=settings.relay_batch_size,
            ),
        )

    @provide
    def seed_cipher(self) -> SeedCipher:
        key = self._settings.seed_key
        if key is None:  # development only: production refuses to start without one
            key = development_seed_key(self._settings.data_dir.resolve() / "seed.key")
        return SeedCipher(key)

    @provide
    def personal_data_cipher(self) -> PersonalDataCipher:
        return personal_data_cipher(self._settings)

    @provide
    async def sql_unit_of_work_factory(
        self, engine: AsyncEngine, cipher: SeedCipher, personal: PersonalDataCipher
    ) -> SqlUnitOfWorkFactory:
        return await start_unit_of_work_factory(
            engine, self._settings.house_shards, cipher, personal
        )

    @provide
    def unit_of_work_factory(self, factory: SqlUnitOfWorkFactory) -> UnitOfWorkFactory:
        return factory

    @provide
    def currencies(self, factory: SqlUnitOfWorkFactory) -> CurrencyRegistry:
        return factory.currencies

    @provide
    def api_keys(self, engine: AsyncEngine) -> ApiKeyStore:
        return SqlApiKeyStore(engine)

    authenticate = provide(Authenticate)

    @provide
    def password_hasher(self) -> PasswordHasher:
        return Argon2Hasher()

    def _token_key(self) -> bytes:
        key = self._settings.secret_key
        if key is not None:
            return key.encode()
        # Development only: production refuses to start without CROUPIER_SECRET_KEY.
        return development_seed_key(self._settings.data_dir.resolve() / "token.key")

    @provide
    def tokens(self) -> TokenCodec:
        return JwtTokens(self._token_key())

    @provide
    def player_sessions(self) -> PlayerSessions:
        # The same key as staff tokens; the audience keeps the two kinds apart.
        return JwtPlayerSessions(self._token_key())

    @provide
    def login_throttle(self, redis: Redis) -> LoginThrottle:
        return RedisLoginThrottle(redis)

    one_time_codes = provide(TotpCodes, provides=OneTimeCodes)

    # Stateless; the bet and deposit use cases call it inside their units of work.
    responsible_gambling_guard = provide(ResponsibleGamblingGuard)

    @provide
    def velocity_limiter(self, redis: Redis, clock: Clock) -> VelocityLimiter:
        return RedisVelocityLimiter(redis, clock)

    @provide
    def velocity(self, limiter: VelocityLimiter) -> VelocityPolicy:
        # Fail modes: bets open, deposits closed (the reasons are in application.velocity).
        limits: dict[VelocityAction, VelocityLimit] = {}
        bets, deposits = (
            self._settings.velocity_bets_per_second,
            self._settings.velocity_deposits_per_hour,
        )
        if bets:
            limits[VelocityAction.BET] = VelocityLimit(
                VelocityAction.BET, bets, timedelta(seconds=1), fail_open=True
            )
        if deposits:
            limits[VelocityAction.DEPOSIT] = VelocityLimit(
                VelocityAction.DEPOSIT, deposits, timedelta(hours=1), fail_open=False
            )
        return VelocityPolicy(limiter, limits)

    @provide
    def books_audit(
        self, engine: AsyncEngine, factory: SqlUnitOfWorkFactory, cipher: SeedCipher
    ) -> BooksAudit:
        return SqlBooksAudit(engine, factory.currencies, cipher)

    @provide
    def bet_queue(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        seeds: SeedSource,
        guard: ResponsibleGamblingGuard,
        velocity: VelocityPolicy,
        risk: RiskReview,
        metrics: BetMetrics,
    ) -> BetQueue:
        # One per process, for every door (gRPC calls and streams, the bot, the Mini App): bets
        # that arrive together share batches.
        place = PlaceBet(
            uow,
            clock,
            ids,
            house,
            seeds,
            guard=guard,
            velocity=velocity,
            risk=risk,
            metrics=metrics,
        )
        return BetQueue(
            place, batch_size=self._settings.bet_batch_size, batches=self._settings.bet_batches
        )

    @provide
    def bot_options(self) -> BotOptions:
        return BotOptions(dice_delay=self._settings.bot_dice_delay_ms / 1000)

    @provide
    async def telegram(
        self, container: AsyncContainer, redis: Redis
    ) -> AsyncIterator[TelegramRuntime]:
        token = self._settings.bot_token
        if token is None:
            yield TelegramRuntime(None, None)
            return
        bot = Bot(token, default=DefaultBotProperties(parse_mode=None))
        dispatcher = build_dispatcher(container, redis, bot_id_of(token))
        try:
            yield TelegramRuntime(bot, dispatcher, self._settings.bot_webhook_secret)
        finally:
            await bot.session.close()

    @provide
    def four_eyes(self) -> FourEyesPolicy:
        return FourEyesPolicy(self._settings.four_eyes_thresholds)

    authenticate_staff = provide(AuthenticateStaff)

    @provide
    def house(self) -> HouseBook:
        return HouseBook(shards=self._settings.house_shards)

    clock = provide(SystemClock, provides=Clock)
    ids = provide(UuidV7Generator, provides=IdGenerator)
    bet_metrics = provide(PrometheusBetMetrics, provides=BetMetrics)
    seeds = provide(SecretsSeedSource, provides=SeedSource)


class UseCaseProvider(Provider):
    scope = Scope.REQUEST

    register_player = provide(RegisterPlayer)
    open_wallet = provide(OpenWallet)
    get_balances = provide(GetBalances)
    credit_deposit = provide(CreditDeposit)
    debit_wallet = provide(DebitWallet)
    adjust_balance = provide(AdjustBalance)
    transfer = provide(Transfer)
    list_history = provide(ListHistory)
    recent_bets = provide(RecentBets)
    # Bets are placed through the process's `BetQueue` (InfrastructureProvider), whatever the
    # door: there is no other way to place one.

    @provide
    def reconcile(self, audit: BooksAudit) -> Reconcile:
        return Reconcile(audit)  # its page sizes are its own, not settings

    settle_dice_bet = provide(SettleDiceBet)
    void_bet = provide(VoidBet)
    get_seed_pair = provide(GetSeedPair)
    rotate_seed_pair = provide(RotateSeedPair)
    verify_bet = provide(VerifyBet)
    fund_bankroll = provide(FundBankroll)
    get_bet = provide(GetBet)
    seamless_debit = provide(SeamlessDebit)
    seamless_credit = provide(SeamlessCredit)
    seamless_rollback = provide(SeamlessRollback)
    issue_api_key = provide(IssueApiKey)
    revoke_api_key = provide(RevokeApiKey)
    create_staff = provide(CreateStaff)
    login = provide(Login)
    enable_totp = provide(EnableTotp)
    issue_staff_key = provide(IssueStaffKey)
    start_player = provide(StartPlayer)
    accept_terms = provide(AcceptTerms)
    set_language = provide(SetLanguage)
    request_adjustment = provide(RequestAdjustment)
    decide_adjustment = provide(DecideAdjustment)
    list_adjustments = provide(ListAdjustments)
    list_games = provide(ListGames)
    update_game = provide(UpdateGame)
    search_audit = provide(SearchAudit)
    get_responsible_status = provide(GetResponsibleStatus)
    set_limit = provide(SetLimit)
    remove_limit = provide(RemoveLimit)
    confirm_limit_increase = provide(ConfirmLimitIncrease)
    start_timeout = provide(StartTimeout)
    self_exclude = provide(SelfExclude)
    set_reality_check = provide(SetRealityCheck)
    acknowledge_reality_check = provide(AcknowledgeRealityCheck)


# Providers of the admin API's read models and use cases, one per area.
ADMIN_PROVIDERS: list[type[Provider]] = [
    AdminQueriesProvider,
    ReportsProvider,
    PaymentsProvider,
    RiskProvider,
    WithdrawalsProvider,
    MiniAppProvider,
    LiveProvider,
]


def _base(settings: Settings, endpoints: Endpoints) -> list[Provider]:
    return [
        InfrastructureProvider(settings, endpoints),
        UseCaseProvider(),
        *(provider() for provider in ADMIN_PROVIDERS),
    ]


def make_http_container(
    settings: Settings, endpoints: Endpoints, *extra: Provider
) -> AsyncContainer:
    return make_async_container(*_base(settings, endpoints), *extra)


def make_grpc_container(
    settings: Settings, endpoints: Endpoints, *extra: Provider
) -> AsyncContainer:
    return make_async_container(*_base(settings, endpoints), *extra)


def make_bot_container(
    settings: Settings, endpoints: Endpoints, *extra: Provider
) -> AsyncContainer:
    return make_async_container(*_base(settings, endpoints), *extra)


def make_cli_container(
    settings: Settings, endpoints: Endpoints, *extra: Provider
) -> AsyncContainer:
    return make_async_container(*_base(settings, endpoints), *extra)
