"""A player's provably fair seed pair: a committed server seed, a client seed, a nonce."""

from __future__ import annotations

from dataclasses import dataclass, fields
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

    def at_nonce(self, next_nonce: int) -> SeedPair:
        """This pair with another next nonce. Only the nonce is checked: the seed, its hash and
        the client seed are this pair's, checked when it was built (a read of the active pair
        builds it once, then takes each read's nonce: the seed's hash is a sha256 and two
        pattern matches a pair a read otherwise)."""
        if next_nonce < FIRST_NONCE:
            raise ValueError("nonces start at 0")
        pair = object.__new__(SeedPair)
        put = object.__setattr__  # frozen: set as __init__ sets them
        for name in _FIELDS:  # every field, so one added later is copied too
            put(pair, name, getattr(self, name))
        put(pair, "next_nonce", next_nonce)
        return pair

    @property
    def revealed(self) -> bool:
        return self.revealed_at is not None

    def revealed_seed(self) -> str:
        if self.revealed_at is None:
            raise NotRevealed(
                "the server seed of this pair is still secret; rotate the seed pair to reveal it"
            )
        return self.server_seed


# `SeedPair.at_nonce` copies these.
_FIELDS = tuple(field.name for field in fields(SeedPair))


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
