"""Game aggregators (Hub88-style): the seamless wallet they call over HTTP (its game session
tokens and their service key; the money moves through `application.seamless`, the one road
the gRPC seamless wallet takes too), and the other way round, the catalogue of their games
and launching one (docs/aggregators.md)."""

from application.aggregators.answers import ForgetOldAnswers, KeepAnswer, RecallAnswer
from application.aggregators.catalogue import (
    LaunchableGamesCache,
    ListAggregatorGames,
    PlayerAggregatorGames,
    RefreshAggregatorGames,
    RefreshAllAggregatorGames,
    SetAggregatorGameEnabled,
)
from application.aggregators.launch import LaunchConfig, LaunchedGame, LaunchGame
from application.aggregators.sessions import (
    AggregatorKey,
    IssueGameSession,
    ReadGameSession,
    SessionView,
)

__all__ = [
    "AggregatorKey",
    "ForgetOldAnswers",
    "IssueGameSession",
    "KeepAnswer",
    "LaunchConfig",
    "LaunchGame",
    "LaunchableGamesCache",
    "LaunchedGame",
    "ListAggregatorGames",
    "PlayerAggregatorGames",
    "ReadGameSession",
    "RecallAnswer",
    "RefreshAggregatorGames",
    "RefreshAllAggregatorGames",
    "SessionView",
    "SetAggregatorGameEnabled",
]
