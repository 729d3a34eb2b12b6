"""Game aggregators calling the wallet over HTTP (docs/aggregators.md): the signatures (keys
read once per process from the PEM files the settings name) and the game sessions' key, and
the use cases. Held by the HTTP kind (the aggregators' door) and the CLI (issuing a session)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dishka import Provider, Scope, provide

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
    ReadGameSession,
    RecallAnswer,
)
from application.ports import AggregatorSignatures, GameSessionConfig
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

    issue_game_session = provide(IssueGameSession)
    read_game_session = provide(ReadGameSession)
    aggregator_key = provide(AggregatorKey)
    recall_answer = provide(RecallAnswer)
    keep_answer = provide(KeepAnswer)
    forget_old_answers = provide(ForgetOldAnswers)
