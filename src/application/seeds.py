"""Use cases of a player's provably fair seed pair."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.ports import Clock, SeedSource, UnitOfWork, UnitOfWorkFactory
from domain.fairness import chosen_client_seed
from domain.seeds import SeedCommitment, SeedPair


async def take_nonce(
    uow: UnitOfWork, seeds: SeedSource, player_id: int, now: datetime
) -> tuple[SeedPair, int] | None:
    """The player's seed pair and the nonce the caller's outcome takes, in the caller's unit
    of work (the pair is made for a first provably fair outcome). Every outcome decided on a
    player's seeds, a bet's or a free bet's, takes its nonce here (or on the bets' snapshot
    road, whose write checks the nonce it read is still the next): the pair's row lock queues
    them, so no nonce is used twice. None: the pair was rotated twice meanwhile (retry)."""
    taken = await uow.seeds.take_nonce(player_id)
    if taken is None:  # first provably fair outcome, or the pair was just rotated
        await uow.seeds.create(
            player_id,
            server_seed=seeds.server_seed(),
            client_seed=seeds.client_seed(),
            now=now,
        )
        taken = await uow.seeds.take_nonce(player_id)
    return taken


class GetSeedPair:
    """The player's active commitment (server seed hash, client seed, next nonce), creating
    the first pair on first use so the hash is shown before any bet."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, seeds: SeedSource) -> None:
        self._uow = uow
        self._clock = clock
        self._seeds = seeds

    async def __call__(self, player_id: int) -> SeedCommitment:
        async with self._uow() as uow:
            await uow.players.get(player_id)
            pair = await uow.seeds.active(player_id)
            if pair is None:
                pair = await uow.seeds.create(
                    player_id,
                    server_seed=self._seeds.server_seed(),
                    client_seed=self._seeds.client_seed(),
                    now=self._clock.now(),
                )
                # None: a concurrent call created it first; its row is committed now.
                pair = pair or await uow.seeds.active(player_id)
                await uow.commit()
        assert pair is not None
        return SeedCommitment.of(pair)


@dataclass(frozen=True, slots=True)
class SeedRotation:
    revealed: SeedPair | None  # the retired pair, server seed included; None on first use
    active: SeedCommitment


class RotateSeedPair:
    """Retire the active pair, revealing its server seed so every bet on it can be verified,
    and commit a new server seed with nonce 0 and the chosen client seed; without one, the
    client seed the player had stays (a seed they typed is theirs until they change it; only
    a player with no pair yet gets a fresh one). Setting a new client seed is a rotation: the
    server seed it is paired with was committed after the player chose it."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, seeds: SeedSource) -> None:
        self._uow = uow
        self._clock = clock
        self._seeds = seeds

    async def __call__(self, player_id: int, client_seed: str | None = None) -> SeedRotation:
        if client_seed is not None:
            client_seed = chosen_client_seed(client_seed)
        async with self._uow() as uow:
            await uow.players.get(player_id)
            now = self._clock.now()
            # The retiring UPDATE locks the pair, so a bet taking a nonce either finished on
            # the old pair or waits and then moves to the new one.
            revealed = await uow.seeds.retire(player_id, now=now)
            created = await uow.seeds.create(
                player_id,
                server_seed=self._seeds.server_seed(),
                client_seed=client_seed
                or (revealed.client_seed if revealed is not None else self._seeds.client_seed()),
                now=now,
            )
            active = created or await uow.seeds.active(player_id)
            assert active is not None
            await uow.commit()
        return SeedRotation(revealed, SeedCommitment.of(active))
