"""Game aggregators (Hub88-style) calling the seamless wallet over HTTP: their game session
tokens and their service key. The money moves through `application.seamless`, the one road
the gRPC seamless wallet takes too (docs/aggregators.md)."""

from application.aggregators.answers import ForgetOldAnswers, KeepAnswer, RecallAnswer
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
    "ReadGameSession",
    "RecallAnswer",
    "SessionView",
]
