"""Bets decided on a snapshot: the road of a bet in two round trips (issue 19).

One statement reads, without locks, all a placement needs (`PlacementReads.snapshot`); every
bet is decided in Python exactly as on the locked road (`decide_bet`, `BatchTally`: a later bet
of a player sees the earlier one's balance and nonce); one more statement, sent by the unit of
work's commit, writes the bets, their postings and their events, provided what the decision
read still holds (`PlacementReads.defer`: the players' standings, no responsible-gambling
record, the seed pairs' nonces, the wallets' balances, the bet ids still free). When it does
not, nothing is written and the commit raises `SnapshotStale`: the caller reads again, and
then sees the twin's bet as a replay, the new nonce, the block.

A refusal decided on the snapshot (a game limit, the bankroll, insufficient funds, a blocked
player) is written too, as a check: it stands only if the balance and standing it rested on
still hold and no twin placed the bet id meanwhile.

Bets this road does not decide go the locked road (`Placement._place_in`): a replay, a player
with a responsible-gambling record (the guard's lock and usage reads), an unknown player, game
or wallet, a repeated bet id within the batch. `Placement._decide_on_snapshot` is the road;
this module holds what it computes without the use case's state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from application.betting.decision import PlaceBetCommand
from application.ports import BatchPlacementContext, RoundSeats, SeedSource
from domain.accounts import AccountKind
from domain.bets import Bet
from domain.fairness import commitment
from domain.games.base import ProvablyFairGame
from domain.games.catalog import game_by_code
from domain.ledger import PostedLeg, PostedTransaction, Transaction
from domain.seeds import SeedPair


class BetSeating(Protocol):
    """What a game that seats its bets in a shared round adds to the snapshot road (crash,
    `application.crash.place`): a rule checked after the one road's own, bet by bet in the
    batch's order, and the seats written by the same statement as the bets."""

    def admit(self, command: PlaceBetCommand, bet: Bet, bankroll: int) -> None:
        """Seat a bet the one road decided to place (`bankroll`: the house's, as its decision
        read it), or refuse it (a `DomainError`)."""
        ...

    def seats(self) -> RoundSeats:
        """The seats admitted, for the write to check and insert."""
        ...


def first_pairs(
    commands: Sequence[PlaceBetCommand],
    known: BatchPlacementContext,
    source: SeedSource,
    now: datetime,
) -> tuple[BatchPlacementContext, list[SeedPair]]:
    """Seed pairs for the players about to make their first provably fair bet, with the
    ids the snapshot set aside: written with their bets (none written if none is used)."""
    made: list[SeedPair] = []
    for player, pair_id in known.reserved_pair_ids.items():
        if any(
            c.player_id == player and isinstance(game_by_code(c.game), ProvablyFairGame)
            for c in commands
        ):
            seed = source.server_seed()
            made.append(
                SeedPair(
                    id=pair_id,
                    player_id=player,
                    server_seed=seed,
                    server_seed_hash=commitment(seed),
                    client_seed=source.client_seed(),
                    next_nonce=0,
                    created_at=now,
                )
            )
    if not made:
        return known, made
    seeds = {**known.seeds, **{pair.player_id: pair for pair in made}}
    return replace(known, seeds=seeds), made


def pair_by_id(known: BatchPlacementContext, pair_id: int) -> SeedPair:
    for pair in known.seeds.values():
        if pair.id == pair_id:
            return pair
    raise KeyError(pair_id)  # pragma: no cover - a nonce is only taken from a pair read


def posted_on(
    transactions: Sequence[Transaction],
    balances: Mapping[int, int],
    owners: Mapping[int, int],
    house: Mapping[int, AccountKind],
) -> list[PostedTransaction]:
    """The transactions as the ledger will record them, for their events and receipts. The
    wallets' balances follow from the balances read (the write checks they still hold), and
    a transaction that moves a wallet gives only the wallet's legs: its event
    (`TransactionPosted`, or the bet's `BetPlayed`) tells the player, not the house
    (docs/events.md). One that moves no wallet (a lost bet's settlement) gives the house's
    legs with balance 0: `place_bets` fills in their balances, which only the posting knows,
    in the event it writes."""
    running = dict(balances)
    posted = []
    for transaction in transactions:
        legs = []
        for leg in transaction.legs:
            if leg.account_id not in running:
                continue
            running[leg.account_id] += leg.amount.amount
            legs.append(
                PostedLeg(
                    account_id=leg.account_id,
                    amount=leg.amount,
                    balance_after=running[leg.account_id],
                    account_kind=AccountKind.PLAYER_WALLET,
                    player_id=owners[leg.account_id],
                )
            )
        if not legs:
            legs = [
                PostedLeg(leg.account_id, leg.amount, 0, house[leg.account_id], None)
                for leg in sorted(transaction.legs, key=lambda leg: leg.account_id)
            ]
        posted.append(
            PostedTransaction(
                id=transaction.id,
                kind=transaction.kind,
                idempotency_key=transaction.idempotency_key,
                legs=tuple(legs),
                created_at=transaction.created_at,
                reference=transaction.reference,
                metadata=transaction.metadata,
            )
        )
    return posted
