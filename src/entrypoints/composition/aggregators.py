"""Game aggregators (docs/aggregators.md): the signatures (keys read once per process from the
PEM files the settings name), the game sessions' key, the operator API client (one per
process, closed with the container), the launchable games' cache, and the use cases. Held by
the HTTP kind (the aggregators' door, the Mini App's launch, the staff's catalogue) and the CLI
(issuing a session, refreshing and switching games)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from dishka import Provider, Scope, provide

from adapters.aggregator_operator_api import Hub88OperatorApi, OperatorEndpoint
from adapters.aggregator_signatures import (
    RsaAggregatorSignatures,
    load_private_key,
    load_public_key,
)
from application.aggregators import (
    AggregatorKey,
    ForgetOldAnswers,
    IssueGameSession,
    KeepAnswer,
    LaunchableGamesCache,
    LaunchConfig,
    LaunchGame,
    ListAggregatorGames,
    PlayerAggregatorGames,
    ReadGameSession,
    RecallAnswer,
    RefreshAggregatorGames,
    RefreshAllAggregatorGames,
    SetAggregatorGameEnabled,
)
from application.ports import (
    AggregatorApi,
    AggregatorSignatures,
    Clock,
    GameSessionConfig,
    UnitOfWorkFactory,
)
from entrypoints.settings import Settings
from entrypoints.settings.keys import parse_key


class AggregatorsProvider(Provider):
    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def aggregator_signatures(self, settings: Settings) -> AggregatorSignatures:
        public = {
            name: load_public_key(path.read_bytes())
            for name, path in settings.aggregator_key_files().items()
        }
        private = (
            load_private_key(Path(settings.aggregator_signing_key).read_bytes())
            if settings.aggregator_signing_key
            else None
        )
        return RsaAggregatorSignatures(public, private)

    @provide(scope=Scope.APP)
    def game_session_config(self, settings: Settings) -> GameSessionConfig:
        key = (
            parse_key(settings.game_session_key, "the game session key")
            if settings.game_session_key
            else None
        )
        return GameSessionConfig(key, timedelta(seconds=settings.game_session_ttl_s))

    @provide(scope=Scope.APP)
    async def aggregator_api(
        self, settings: Settings, signatures: AggregatorSignatures
    ) -> AsyncIterator[AggregatorApi]:
        endpoints = {
            name: OperatorEndpoint(base, operator_id)
            for name, (base, operator_id) in settings.aggregator_operator_apis().items()
        }
        client = Hub88OperatorApi(
            endpoints, signatures, timeout_s=settings.aggregator_api_timeout_s
        )
        yield client
        await client.close()

    @provide(scope=Scope.APP)
    def launchable_games_cache(
        self, settings: Settings, uow: UnitOfWorkFactory, clock: Clock
    ) -> LaunchableGamesCache:
        return LaunchableGamesCache(
            uow, clock, timedelta(seconds=settings.aggregator_games_cache_s)
        )

    @provide(scope=Scope.APP)
    def launch_config(self, settings: Settings) -> LaunchConfig:
        return LaunchConfig(lobby_url=settings.aggregator_lobby_url or "")

    issue_game_session = provide(IssueGameSession)
    launch_game = provide(LaunchGame)
    refresh_aggregator_games = provide(RefreshAggregatorGames)
    refresh_all_aggregator_games = provide(RefreshAllAggregatorGames)
    set_aggregator_game_enabled = provide(SetAggregatorGameEnabled)
    list_aggregator_games = provide(ListAggregatorGames)
    player_aggregator_games = provide(PlayerAggregatorGames)
    read_game_session = provide(ReadGameSession)
    aggregator_key = provide(AggregatorKey)
    recall_answer = provide(RecallAnswer)
    keep_answer = provide(KeepAnswer)
    forget_old_answers = provide(ForgetOldAnswers)
