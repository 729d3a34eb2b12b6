"""The reads a bet placement makes before it decides, in one round trip."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.bets import Bet
from domain.games.catalog import GameConfig
from domain.money import Currency
from domain.seeds import SeedPair
from domain.standing import PlayerStanding


@dataclass(frozen=True, slots=True)
class PlacementContext:
    """What placing a bet reads before it decides, read at once (see `PlacementReads`)."""

    existing: Bet | None  # a bet with this id, committed before the read began
    standing: PlayerStanding | None  # the player's status and terms; None: no such player
    wallet_id: int | None  # the player's wallet in the stake's currency, if any
    config: GameConfig
    bankroll: int  # the house bankroll in the stake's currency, all shards
    guard_locked: bool  # the player has a responsible-gambling profile, now locked


@dataclass(frozen=True, slots=True)
class BatchPlacementContext:
    """What placing a batch of bets reads before it decides (see `PlacementReads.open_many`)."""

    existing: frozenset[uuid.UUID]  # bet ids committed before the read began
    guarded: frozenset[int]  # players with a responsible-gambling record (not locked)
    standings: Mapping[int, PlayerStanding]  # of the players that exist, by player
    wallets: Mapping[tuple[int, str], tuple[int, int]]  # (player, currency) -> (id, balance)
    seeds: Mapping[int, SeedPair]  # each player's active seed pair, by player
    configs: Mapping[str, GameConfig]  # of the games asked for that exist
    bankrolls: Mapping[str, int]  # the house bankroll per currency code, all shards


class PlacementReads(Protocol):
    """The reads of a bet placement in one round trip: on the betting path round trips, not
    work, are what a bet costs."""

    async def open(
        self, bet_id: uuid.UUID, player_id: int, currency: Currency, game: str
    ) -> PlacementContext:
        """First take the player's responsible-gambling lock, as
        `ResponsibleGamblingRepository.lock` does (so the guard need not), then read the
        rest, the player's standing as `PlayerRepository.standing` reads it included.
        `GameUnavailable` when there is no such game."""
        ...

    async def open_many(
        self,
        bet_ids: Sequence[uuid.UUID],
        player_ids: Sequence[int],
        currencies: Sequence[str],
        games: Sequence[str],
    ) -> BatchPlacementContext:
        """For a batch: which bet ids exist, which players have a responsible-gambling
        record, and the players' standings (plain reads), then the players' active seed pairs
        and their wallets in these currencies, locked until the unit of work ends (pairs in
        player order, then wallets in id order), the configurations of these games and the
        bankrolls."""
        ...
