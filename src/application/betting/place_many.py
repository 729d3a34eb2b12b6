"""Place many bets together: `PlaceBets`, the batch road `BetQueue` takes when bets arrive
together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from application.betting.decision import PlaceBetCommand
from application.betting.place import LostRace, PlaceBet, Placement
from application.betting.receipts import BetOutcome
from application.ports import LockContended, SnapshotStale
from domain.errors import DomainError, StorageUnavailable

log = logging.getLogger(__name__)

# How often a batch is decided on a fresh snapshot after its write met a changed state (a
# nonce, a balance, a standing, a twin's bet id) before its bets go one by one.
_SNAPSHOT_ATTEMPTS = 3


class PlaceBets(Placement):
    """Place many bets in two statements, each bet keeping its own result, as if `PlaceBet`
    had placed it alone (it decides each with the same function).

    Every bet is admitted first, one by one (game, stake, velocity limit: a replay is never
    refused). Then, on the snapshot road (`application.betting.snapshot`):

    1. one statement reads, without locks, which bet ids exist, which players have a
       responsible-gambling record, the players' standings, wallets and seed pairs, the
       bankrolls and games;
    2. the bets of players whose standing refuses a bet (blocked, terms not accepted) are
       refused with the guard, as the single path does for a player without a
       responsible-gambling record; players about to make their first provably fair bet get a
       seed pair (with an id the read set aside);
    3. every other bet is decided in Python (`decide_bet`), in a fixed order (player id, bet
       id), against that state and what the bets before it did: a later bet of a player sees
       the earlier one's balance and nonce; a bet that fails (a game limit, the bankroll,
       insufficient funds) gets its own error and takes nothing (no nonce, no money), and its
       neighbours go on;
    4. one statement (`place_bets`, its own transaction) checks that the state the decisions
       rested on still holds and writes the bets, nonces, postings and events; if it does not,
       nothing is written and the batch is decided again on a new read.

    Bets the batch does not decide itself are placed one by one, as `PlaceBet` places a bet,
    after the write, in order: a repeated bet id (a replay, or a twin in the same batch), a
    player with a responsible-gambling record (the guard's per-player lock and usage reads
    belong to the locked road), an unknown player, game or wallet.

    The write waits for its locks a bounded time (seed pairs in player order, then accounts in
    id order), so a single-bet transaction of the locked road is never the one to fail. If the
    batch fails for any reason (the state kept changing, a lock wait ran out, a lost
    connection), its bets are placed one by one: the bet id makes that a replay for any bet
    that was written."""

    def __init__(self, place: PlaceBet) -> None:
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

    async def __call__(self, commands: Sequence[PlaceBetCommand]) -> list[BetOutcome]:
        outcomes: list[BetOutcome | None] = [None] * len(commands)

        async def admit(i: int) -> None:
            try:
                await self._admit(commands[i])
            except DomainError as error:
                outcomes[i] = error

        if self._counts_bets:
            await asyncio.gather(*(admit(i) for i in range(len(commands))))
        else:
            # Nothing to count: the admission reads nothing, so it runs here rather than in a
            # task a bet.
            for i, command in enumerate(commands):
                try:
                    self._admissible(command)
                except DomainError as error:
                    outcomes[i] = error
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
                log.info(
                    "a batch of %d bets kept meeting a changed state (a twin's bet id, a nonce,"
                    " a balance, a standing); one by one",
                    len(order),
                )
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

        if len(by_player) == 1:
            # One player (a bet alone, most often): the same, without a task and the loop's
            # turn that a gather of one would spend on it.
            (queue,) = by_player.values()
            await place(queue)
            return
        await asyncio.gather(*(place(queue) for queue in by_player.values()))

    async def _together(
        self, commands: Sequence[PlaceBetCommand], order: list[int]
    ) -> tuple[dict[int, BetOutcome], list[int]]:
        """The batch on the snapshot road (`Placement._decide_on_snapshot`): the outcomes it
        decided, and the bets left to place alone. A write that met a changed state reads
        again, `_SNAPSHOT_ATTEMPTS` times in all; then `LostRace` (one by one)."""
        for attempt in range(1, _SNAPSHOT_ATTEMPTS + 1):
            try:
                async with self._uow() as uow:
                    decided, alone = await self._decide_on_snapshot(uow, commands, order)
                    if decided:
                        await uow.commit()
                return decided, alone
            except SnapshotStale as error:
                log.info(
                    "a batch of %d bets was decided on a state that changed (%s); %s",
                    len(order),
                    error,
                    "reading again" if attempt < _SNAPSHOT_ATTEMPTS else "one by one",
                )
        raise LostRace
