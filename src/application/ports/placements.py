"""The reads a bet placement makes before it decides, in one round trip, and the write of what
it decided on a snapshot, in one more."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from domain.bets import Bet
from domain.crash_rounds import CrashSeat
from domain.games.catalog import GameConfig
from domain.ledger import Transaction
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
    """What placing bets on a snapshot reads before it decides (`PlacementReads.snapshot`)."""

    existing: frozenset[uuid.UUID]  # bet ids committed before the read began
    guarded: frozenset[int]  # players with a responsible-gambling record (not locked)
    standings: Mapping[int, PlayerStanding]  # of the players that exist, by player
    wallets: Mapping[tuple[int, str], tuple[int, int]]  # (player, currency) -> (id, balance)
    seeds: Mapping[int, SeedPair]  # each player's active seed pair, by player
    configs: Mapping[str, GameConfig]  # of the games asked for that exist
    bankrolls: Mapping[str, int]  # the house bankroll per currency code, all shards
    # A seed pair id set aside for each player read with no active pair (`snapshot` only):
    # their first provably fair bet's pair is made in Python and written with the bet.
    reserved_pair_ids: Mapping[int, int] = field(default_factory=dict)


class SnapshotStale(Exception):
    """What a deferred placement write rested on changed before it was written (a nonce, a
    balance, a standing, a bet id placed by a twin); nothing was written. Read again."""


@dataclass(frozen=True, slots=True)
class RoundSeats:
    """Crash bets' seats, written with their bets by the same statement, provided the round
    still takes bets by the database's clock, the seats are still free, and each currency's
    exposure (the round's seats, these included) is within the limit the decisions used."""

    round_id: int
    seats: Sequence[CrashSeat]
    limits: Mapping[str, int]  # currency code -> the round's exposure limit in it


@dataclass(frozen=True, slots=True)
class PlacementWrite:
    """Bets decided on a snapshot (`PlacementReads.snapshot`), and what the decision rested
    on, written at once by the unit of work's commit if that still holds."""

    standings: Mapping[int, PlayerStanding]  # as read: no record appeared, nothing changed
    nonces: Mapping[int, tuple[int, int]]  # seed pair id -> (next nonce read, nonces taken)
    balances: Mapping[int, int]  # wallet id -> balance read
    new_pairs: Sequence[SeedPair]  # to create, with their reserved ids, past their nonces
    bets: Sequence[Bet]  # to insert (settled at once when provably fair)
    absent: Sequence[uuid.UUID]  # bet ids refused on the snapshot: still absent
    transactions: Sequence[Transaction]  # to post, in order
    round: RoundSeats | None = None  # crash bets: their seats in the round taking bets


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

    async def snapshot(
        self,
        bet_ids: Sequence[uuid.UUID],
        player_ids: Sequence[int],
        currencies: Sequence[str],
        games: Sequence[str],
    ) -> BatchPlacementContext:
        """In one statement outside any transaction and without locks (the unit of work must
        not have started one): which bet ids exist, which players have a responsible-gambling
        record, the players' standings, their wallets (with balances) in these currencies and
        their active seed pairs, the configurations of these games, the bankrolls, and a seed
        pair id set aside for each player with no active pair. What is decided on it is
        written by `defer`."""
        ...

    def defer(self, write: PlacementWrite) -> None:
        """Have the unit of work's commit write these, with the events raised on it, in one
        statement that is its own transaction; the commit raises `SnapshotStale` (nothing
        written) when what the write rested on changed, `LockContended` when a lock stayed
        busy."""
        ...
