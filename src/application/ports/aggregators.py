"""Game aggregators: their request signatures and ours, the game session tokens'
configuration (the wallet they call), and the other way round, their operator API Croupier
calls (the games list, a game URL) and the catalogue Croupier keeps of their games."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from domain.aggregator_games import GameUrlRequest, ListedGame
from domain.game_sessions import DEFAULT_SESSION_TTL


class AggregatorSignatures(Protocol):
    """RSA-SHA256 signatures, base64, on raw bodies: each aggregator's requests are verified
    with its public key, Croupier's answers are signed with Croupier's private key."""

    def knows(self, aggregator: str) -> bool:
        """Whether a public key is configured for this aggregator."""
        ...

    def verify(self, aggregator: str, body: bytes, signature: str) -> bool:
        """True only when `signature` is the aggregator's signature of exactly `body`."""
        ...

    def sign(self, body: bytes) -> str:
        """Croupier's signature of an answer's body; empty when no signing key is set."""
        ...


@dataclass(frozen=True, slots=True)
class GameSessionConfig:
    key: bytes | None  # None: no game session can be issued or read
    ttl: timedelta = DEFAULT_SESSION_TTL


class AggregatorApi(Protocol):
    """The aggregators' operator APIs (Hub88's `operator/generic/v2/...`), each request signed
    with Croupier's key. Every failure (not configured, a timeout, a refusal, a 5xx, an answer
    of the wrong shape) is `domain.aggregator_games.AggregatorUnavailable`."""

    def knows(self, aggregator: str) -> bool:
        """Whether an operator API (its URL and our operator id there) is configured."""
        ...

    def configured(self) -> Sequence[str]:
        """The aggregators with an operator API configured, by name."""
        ...

    async def games(self, aggregator: str) -> Sequence[ListedGame]:
        """The aggregator's games list, as it says it (`game/list`)."""
        ...

    async def game_url(self, aggregator: str, request: GameUrlRequest) -> str:
        """The URL of a real-money game session (`game/url`), checked to be an http(s) URL."""
        ...
