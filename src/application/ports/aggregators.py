"""Game aggregators calling the wallet over HTTP: their request signatures and ours, and the
game session tokens' configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

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
