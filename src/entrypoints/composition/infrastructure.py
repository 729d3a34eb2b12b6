"""Connections to the outside world and the adapters every area shares, one per process:
settings, the engines, Redis, the unit-of-work factory, the ciphers, the clock, ids, seeds,
metrics and the outbox relay."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.clock import SystemClock
from adapters.ids import UuidV7Generator
from adapters.personal_data import PersonalDataCipher
from adapters.postgres.engine import create_engine
from adapters.postgres.outbox import SqlOutboxFeed
from adapters.postgres.placement_timings import PlacementTimings
from adapters.postgres.uow import SqlUnitOfWorkFactory, start_unit_of_work_factory
from adapters.prometheus.bets import PrometheusBetMetrics
from adapters.prometheus.placements import PrometheusPlacementTimings
from adapters.redis_client import RedisPing, create_redis
from adapters.redis_events import RedisEventPublisher
from adapters.seed_cipher import SecretsSeedSource, SeedCipher, development_seed_key
from adapters.slow_batches import SlowBatchLog
from application.ports import (
    BetMetrics,
    Clock,
    IdGenerator,
    RedisProbe,
    SeedSource,
    UnitOfWorkFactory,
)
from application.relay import OutboxRelay, RelaySettings
from domain.money import CurrencyRegistry
from entrypoints.composition.endpoints import Endpoints, ReportsEngine
from entrypoints.composition.personal_data import personal_data_cipher
from entrypoints.settings import Settings


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

    redis_probe = provide(RedisPing, provides=RedisProbe)

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
            engine,
            self._settings.house_shards,
            cipher,
            personal,
            placement_timings(self._settings),
        )

    @provide
    def unit_of_work_factory(self, factory: SqlUnitOfWorkFactory) -> UnitOfWorkFactory:
        return factory

    @provide
    def currencies(self, factory: SqlUnitOfWorkFactory) -> CurrencyRegistry:
        return factory.currencies

    clock = provide(SystemClock, provides=Clock)
    ids = provide(UuidV7Generator, provides=IdGenerator)
    bet_metrics = provide(PrometheusBetMetrics, provides=BetMetrics)
    seeds = provide(SecretsSeedSource, provides=SeedSource)


def placement_timings(settings: Settings) -> PlacementTimings:
    """The bet batches' metrics, and their slow ones' log lines unless turned off."""
    timings: PlacementTimings = PrometheusPlacementTimings()
    if settings.slow_batch_ms:
        timings = SlowBatchLog(timings, settings.slow_batch_ms / 1000)
    return timings
