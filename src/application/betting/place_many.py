"""Place many bets together: `PlaceBets`, the batch road `BetQueue` takes when bets arrive
together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from application.betting.decision import BatchTally, DecidedBet, PlaceBetCommand, decide_bet
from application.betting.place import LostRace, PlaceBet, Placement
from application.betting.receipts import BetOutcome, BetReceipt
from application.ports import BatchPlacementContext, LockContended, UnitOfWork
from domain.accounts import AccountKind
from domain.errors import DomainError, StorageUnavailable
from domain.events import bet_stored, transactions_posted
from domain.games.base import ProvablyFairGame
from domain.games.catalog import game_by_code
from domain.ledger import Transaction

log = logging.getLogger(__name__)

# How often a batch tries to lock its house rows (see `PlaceBets`) before placing its bets
# one by one instead.
_HOUSE_LOCK_ATTEMPTS = 20


class PlaceBets(Placement):
    """Place many bets in one transaction and a handful of statements, each bet keeping its own
    result, as if `PlaceBet` had placed it alone (it decides each with the same function).

    Every bet is admitted first, one by one (game, stake, velocity limit: a replay is never
    refused). Then one unit of work, with bounded lock waits (`lock_wait`; the house rows
    `house_wait` at a time, letting go in between):

    1. locks the house rows the bets will move (bets in play and, for provably fair bets, the
       bankroll, in id order), so concurrent batches queue there instead of deadlocking;
    2. reads in one go which bet ids exist, which players have a responsible-gambling record,
       the players' standings, the bankrolls and games, and locks the players' seed pairs and
       wallets;
    3. refuses the bets of players whose standing refuses a bet (blocked, terms not accepted)
       with the guard, as the single path does for a player without a responsible-gambling
       record, and gives the players about to make their first provably fair bet a seed pair;
    4. decides every other bet in Python (`decide_bet`), in a fixed order (player id, bet id),
       against that state and what the bets before it did: a later bet of a player sees the
       earlier one's balance and nonce; a bet that fails (a game limit, the bankroll,
       insufficient funds) gets its own error and takes nothing (no nonce, no money), and its
       neighbours go on;
    5. writes all the decided bets with one INSERT, one nonce UPDATE and one call of the
       postings (`Ledger.post_all`), then commits once.

    Bets the batch does not decide itself are placed one by one, as `PlaceBet` places a bet,
    after the commit, in order: a repeated bet id (a replay, or a twin in the same batch), a
    player with a responsible-gambling record (the guard's per-player lock and usage reads
    belong to the single path), an unknown player, game or wallet, a player whose seed pair
    could not be made in the batch.

    Lock waits end long before PostgreSQL's deadlock detector would pick a victim, so a
    single-bet transaction is never the one to fail. If the batch's transaction fails for any
    reason (a lock wait ran out, a twin committed an id first, a lost connection, a failed
    commit), its bets are placed one by one: the bet id makes that a replay for any bet that
    did commit."""

    def __init__(
        self, place: PlaceBet, *, lock_wait: float = 0.05, house_wait: float = 0.5
    ) -> None:
        # The same dependencies as the single road: a bet of a batch is placed as it would be.
        super().__init__(
            place._uow,
            place._clock,
            place._ids,
            place._house,
            place._seeds,
            guard=place._guard,
            velocity=place._velocity,
            risk=place._risk,
            metrics=place._metrics,
        )
        self._lock_wait = lock_wait
        self._house_wait = house_wait

    async def __call__(self, commands: Sequence[PlaceBetCommand]) -> list[BetOutcome]:
        outcomes: list[BetOutcome | None] = [None] * len(commands)

        async def admit(i: int) -> None:
            try:
                await self._admit(commands[i])
            except DomainError as error:
                outcomes[i] = error

        await asyncio.gather(*(admit(i) for i in range(len(commands))))
        order = sorted(
            (i for i in range(len(commands)) if outcomes[i] is None),
            key=lambda i: (commands[i].player_id, commands[i].bet_id),
        )
        alone = order
        # One bet goes the single-bet way: a batch's extra statements buy it nothing.
        if len(order) > 1:
            try:
                decided, alone = await self._together(commands, order)
            except LockContended as error:
                log.info("a batch of %d bets met a busy lock (%s); one by one", len(order), error)
            except StorageUnavailable as error:
                log.warning("a batch of %d bets lost the database (%s)", len(order), error)
            except LostRace:
                log.info("a twin committed a bet id of a batch of %d first; one by one", len(order))
            except Exception:  # each bet's own errors were decided inside: this is the batch's
                log.warning(
                    "a batch of %d bets failed as a whole; placing them one by one",
                    len(order),
                    exc_info=True,
                )
            else:
                for i, outcome in decided.items():
                    outcomes[i] = outcome
        await self._alone(commands, alone, outcomes)
        assert all(outcome is not None for outcome in outcomes)
        placed = [outcome for outcome in outcomes if outcome is not None]
        # Counted once the batch is over: a batch that failed and went one by one counts
        # each bet once, as it finally stood.
        for command, outcome in zip(commands, placed, strict=True):
            self._count(command, outcome)
        return placed

    async def _alone(
        self,
        commands: Sequence[PlaceBetCommand],
        indices: list[int],
        outcomes: list[BetOutcome | None],
    ) -> None:
        """Place bets one by one, each in its own unit of work: a player's in order, players
        side by side, so one player's busy wallet holds up nobody else."""
        by_player: dict[int, list[int]] = {}
        for i in indices:
            by_player.setdefault(commands[i].player_id, []).append(i)

        async def place(queue: list[int]) -> None:
            for i in queue:
                try:
                    outcomes[i] = await self._place_alone(commands[i])
                except DomainError as error:
                    outcomes[i] = error

        await asyncio.gather(*(place(queue) for queue in by_player.values()))

    async def _together(
        self, commands: Sequence[PlaceBetCommand], order: list[int]
    ) -> tuple[dict[int, BetOutcome], list[int]]:
        """The batch's transaction: the outcomes it decided, and the bets left to place alone."""
        decided: dict[int, BetOutcome] = {}
        alone: list[int] = []
        async with self._uow() as uow:
            await self._lock_house(uow, [commands[i] for i in order])
            # Holding house rows, wait for nothing else for long: a single-bet transaction
            # may hold a player's seed pair or wallet and be queued on those very rows.
            await uow.limit_lock_waits(self._lock_wait)
            known = await uow.placements.open_many(
                [commands[i].bet_id for i in order],
                [commands[i].player_id for i in order],
                [commands[i].stake.currency.code for i in order],
                [commands[i].game for i in order],
            )
            now = self._clock.now()
            refused = await self._refused(uow, known, {i: commands[i] for i in order}, now)
            deciding = [commands[i] for i in order if i not in refused]
            tally = BatchTally.of(await self._first_seed_pairs(uow, deciding, known))
            stored: list[tuple[int, DecidedBet]] = []
            for i in order:
                command = commands[i]
                if i in refused:
                    decided[i] = refused[i]
                    continue
                facts = None if command.player_id in known.guarded else tally.facts(command)
                if facts is None:
                    alone.append(i)
                    continue
                try:
                    step = decide_bet(command, facts, now=self._clock.now(), ids=self._ids)
                except DomainError as error:
                    decided[i] = error
                    continue
                tally.take(step)
                stored.append((i, step))
            if stored:
                receipts = await self._store(uow, [step for _, step in stored], tally)
                decided.update(zip((i for i, _ in stored), receipts, strict=True))
            # The outbox's sequence rows are taken last, in order, by every transaction.
            await uow.limit_lock_waits(None)
            await uow.commit()
        return decided, alone

    async def _refused(
        self,
        uow: UnitOfWork,
        known: BatchPlacementContext,
        commands: Mapping[int, PlaceBetCommand],
        now: datetime,
    ) -> dict[int, DomainError]:
        """The bets the guard refuses for their player's standing, decided as the single road
        decides them for a player with no responsible-gambling record (no reads: the standing
        alone decides). Replays, players with a record and unknown players go alone."""
        refused: dict[int, DomainError] = {}
        for i, command in commands.items():
            standing = known.standings.get(command.player_id)
            if (
                standing is None
                or command.player_id in known.guarded
                or command.bet_id in known.existing
            ):
                continue
            try:
                await self._guard.check_bet(uow, standing, command.stake, now, locked=False)
            except DomainError as error:
                refused[i] = error
        return refused

    async def _first_seed_pairs(
        self, uow: UnitOfWork, commands: Sequence[PlaceBetCommand], known: BatchPlacementContext
    ) -> BatchPlacementContext:
        """A batch's players about to make their first provably fair bet get their seed pair
        in the batch's transaction (as the single road would make it), so they need not go
        alone."""
        missing = {
            c.player_id
            for c in commands
            if isinstance(game_by_code(c.game), ProvablyFairGame)
            and c.player_id not in known.seeds
            and c.player_id not in known.guarded
            and (c.player_id, c.stake.currency.code) in known.wallets
        }
        if not missing:
            return known
        created = await uow.seeds.create_many(
            {p: (self._seeds.server_seed(), self._seeds.client_seed()) for p in missing},
            now=self._clock.now(),
        )
        return replace(known, seeds={**known.seeds, **created})

    async def _store(
        self, uow: UnitOfWork, decided: Sequence[DecidedBet], tally: BatchTally
    ) -> list[BetReceipt]:
        """Write a batch's decided bets: one INSERT, one nonce UPDATE, one call of the postings.
        Raises `LostRace` when a twin committed one of the bet ids first (the batch's
        decisions no longer hold; the caller starts over one by one)."""
        added = await uow.bets.add_many([step.final for step in decided])
        if len(added) != len(decided):
            raise LostRace
        for step in decided:
            uow.raise_events(*bet_stored(step.final))
        await uow.seeds.advance(tally.taken)
        transactions: list[Transaction] = []
        for step in decided:
            transactions.extend(await self._postings(uow, step))
        all_posted = await uow.ledger.post_all(transactions)
        uow.raise_events(*transactions_posted(*all_posted))
        posted = iter(all_posted)
        receipts = []
        for step in decided:
            receipts.append(await self._receipt(uow, step, posted))
            self._log(step, len(decided))
        return receipts

    async def _lock_house(self, uow: UnitOfWork, commands: Sequence[PlaceBetCommand]) -> None:
        house = self._house
        in_play, bankroll = set(), set()
        for command in commands:
            currency = command.stake.currency
            in_play.add(
                await house.account_for(
                    uow.accounts, AccountKind.BETS_IN_PLAY, currency, command.player_id
                )
            )
            if isinstance(game_by_code(command.game), ProvablyFairGame):
                bankroll.add(
                    await house.account_for(
                        uow.accounts, AccountKind.HOUSE_BANKROLL, currency, command.player_id
                    )
                )
        # In id order, as a posting takes them. A single provably fair bet takes bets in play
        # before the bankroll (two postings), whatever their ids: a wait here is bounded, and
        # lets go of what it holds when it runs out, so such a cycle breaks on our side.
        await uow.limit_lock_waits(self._house_wait)
        for _ in range(_HOUSE_LOCK_ATTEMPTS):
            try:
                async with uow.savepoint():
                    await uow.accounts.lock(sorted(in_play | bankroll))
                return
            except LockContended:
                continue
        raise LockContended("the house rows of the batch stayed busy")
