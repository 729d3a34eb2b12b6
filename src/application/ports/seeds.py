"""Provably fair seed pairs and the generator of fresh seeds."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.seeds import SeedPair


class SeedPairRepository(Protocol):
    """Provably fair seed pairs. Server seeds are secret at rest (the adapter encrypts them)."""

    async def active(self, player_id: int) -> SeedPair | None: ...

    async def create(
        self, player_id: int, *, server_seed: str, client_seed: str, now: datetime
    ) -> SeedPair | None:
        """Commit a new active pair with nonce 0; None if the player already has one."""
        ...

    async def take_nonce(self, player_id: int) -> tuple[SeedPair, int] | None:
        """Atomically hand out the active pair's next nonce and advance it by one. Concurrent
        callers get distinct, consecutive nonces. None when the player has no active pair."""
        ...

    async def retire(self, player_id: int, *, now: datetime) -> SeedPair | None:
        """Reveal the active pair (it can no longer be bet on); None if there is none."""
        ...

    async def get(self, seed_pair_id: int) -> SeedPair:
        """The pair, or `NotFound`."""
        ...


class SeedSource(Protocol):
    """Fresh seeds from a cryptographically secure generator."""

    def server_seed(self) -> str:
        """32 random bytes as 64 lower-case hex characters."""
        ...

    def client_seed(self) -> str:
        """A default client seed for a player who has not chosen one."""
        ...
