"""A player's provably fair seed pair: a committed server seed, a client seed, a nonce."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.errors import NotRevealed
from domain.fairness import FIRST_NONCE, commitment, validate_client_seed, validate_server_seed


@dataclass(frozen=True, slots=True)
class SeedPair:
    """`server_seed` is the secret; it is shown only once the pair is retired (`revealed_at`).
    `next_nonce` is the nonce the next bet will use."""

    id: int
    player_id: int
    server_seed: str
    server_seed_hash: str
    client_seed: str
    next_nonce: int
    created_at: datetime
    revealed_at: datetime | None = None

    def __post_init__(self) -> None:
        validate_server_seed(self.server_seed)
        validate_client_seed(self.client_seed)
        if commitment(self.server_seed) != self.server_seed_hash:
            raise ValueError("a seed pair's hash must be the commitment of its server seed")
        if self.next_nonce < FIRST_NONCE:
            raise ValueError("nonces start at 0")

    @property
    def revealed(self) -> bool:
        return self.revealed_at is not None

    def revealed_seed(self) -> str:
        if self.revealed_at is None:
            raise NotRevealed(
                "the server seed of this pair is still secret; rotate the seed pair to reveal it"
            )
        return self.server_seed


@dataclass(frozen=True, slots=True)
class SeedCommitment:
    """What a player may see of the active pair."""

    seed_pair_id: int
    server_seed_hash: str
    client_seed: str
    next_nonce: int

    @classmethod
    def of(cls, pair: SeedPair) -> SeedCommitment:
        return cls(pair.id, pair.server_seed_hash, pair.client_seed, pair.next_nonce)
