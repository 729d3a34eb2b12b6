"""Bets placed one call at a time, committed together when they arrive together.

Each call to `BetQueue` answers for its own bet exactly as `PlaceBet` would (its receipt, or
its own refusal raised), but calls that arrive while the database is busy with earlier bets
are placed together in one transaction by `PlaceBets`: under load, a bet costs a share of a
batch's few statements and one commit instead of its own. This is group commit done by the
application: no timer, no added wait. A call that finds a free slot starts at once (alone, by
the single-bet path); calls that arrive while every slot is busy queue, and the next free
slot takes all of them (up to `batch_size`) at once. A player's bets never run in two
batches at once: they would only wait on each other's row locks, so a player's queued bets
wait for the batch holding that player and then go together (a hot player's bets become one
transaction each batch, not a queue of transactions on one wallet).

Bets submitted `together` (a PlaceBatch message) are one batch of their own, whatever
`batch_size`: one snapshot read and one write for the whole message, never split across
transactions nor mixed with other callers' bets, which would only make each message wait for
its neighbours' (issue 19). Up to `message_batches` messages run at once, beside the
`batches` of queued bets: a message's size is its own, so a second one running splits
nothing, and one message's decisions in Python overlap another's write in the database
(PlaceBatch's bets/s +16-63% in six of seven pairs at two on two cores; bench/README.md,
2026-12-05 04:07). A message waiting for a running batch that holds one of its players may be
passed by later work sharing its players twice at most; then that work waits behind it, so
its wait is bounded (`_start`). Queued bets have no such second lane by default: a second
batch of them would split the bets in flight into smaller batches, each costing more.

The queue holds at most `limit` waiting bets (a setting): it waits only while the database is
slow or away, and without a bound, callers that time out and retry the same bet would queue
every retry and leave a backlog that outlives the stall (each new call waiting behind it, timing
out and retrying in turn). Past the bound a submit is refused at once, each bet's answer
`Overloaded` (nothing written; the same bet id may be repeated later). A queue with nothing
waiting takes any submit, so a message larger than the bound still goes.

As each batch starts, the queue tells a `BetQueueWaits` (if given) how long its longest-waiting
bet waited for it, the part of a bet's latency no placement timing sees.

A batch runs in a task of its own. A bet placed alone runs in a copy of its caller's context
(`contextvars`), so what the caller's context holds (the request and bet ids its log lines
carry, its trace) follows the bet into the placement; a batch of several bets runs in an
empty context rather than in one caller's, whose ids would be wrong for the others."""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from application.betting import BetOutcome, BetReceipt, PlaceBet, PlaceBetCommand, PlaceBets
from application.ports import BetQueueWaits
from domain.errors import DomainError, Overloaded

_Answer = TypeVar("_Answer")

# A bet waiting for a batch: its command, its caller's answer, its caller's context, when it
# was submitted (the queue's clock).
_Waiting = tuple[PlaceBetCommand, asyncio.Future[BetReceipt], contextvars.Context, float]


# How many times later work sharing a waiting message's players may start before it: after
# that, such work waits behind the message (see `BetQueue._start`).
OVERTAKEN_AT_MOST = 2


class _Together:
    """Bets submitted together: one batch of their own (see the module). `overtaken`: how many
    times, while it waited, later work sharing its players started."""

    __slots__ = ("bets", "overtaken", "players")

    def __init__(self, bets: list[_Waiting]) -> None:
        self.bets = bets
        self.players = frozenset(command.player_id for command, _, _, _ in bets)
        self.overtaken = 0


class BetQueue:
    """Place a bet; concurrent bets share transactions (see the module). `batches` is how many
    transactions of queued bets run at once in this process, `batch_size` the most bets one
    of them takes, `message_batches` how many bets submitted together (messages) run at once
    beside them, `limit` the most bets that may wait (None: no bound; see the module). `waits`,
    if given, is told how long each batch's bets waited for it, by `clock` (seconds,
    monotonic)."""

    def __init__(
        self,
        place: PlaceBet,
        *,
        batch_size: int = 64,
        batches: int = 1,
        message_batches: int = 2,
        limit: int | None = None,
        waits: BetQueueWaits | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if limit is not None and limit < 1:
            raise ValueError("a bet queue's limit is at least 1 bet")
        if batch_size < 1 or batches < 1 or message_batches < 1:
            raise ValueError(
                "a bet queue needs batch_size >= 1, batches >= 1 and message_batches >= 1"
            )
        self._place = place
        self._place_many = PlaceBets(place)
        self._batch_size = batch_size
        self._batches = batches
        self._message_batches = message_batches
        self._limit = limit
        self._queued = 0  # bets in `_waiting` (a message's count as its bets)
        self._waits = waits
        self._clock = clock
        self._running = 0  # batches of queued bets running
        self._running_messages = 0  # messages (bets submitted together) running
        self._messages_waiting = 0  # of the items in `_waiting`
        self._busy: set[int] = set()  # players with a bet in a running batch
        self._waiting: deque[_Waiting | _Together] = deque()
        self._tasks: set[asyncio.Task[None]] = set()  # the event loop keeps weak references

    @property
    def placer(self) -> PlaceBet:
        """The process's one `PlaceBet`, for a use case that places a bet and keeps something
        beside it in the same transaction (`PlaceBet.place_with`: mines)."""
        return self._place

    async def __call__(self, command: PlaceBetCommand) -> BetReceipt:
        (answer,) = self.submit([command])
        return await answer

    def submit(
        self, commands: Iterable[PlaceBetCommand], *, together: bool = False
    ) -> list[asyncio.Future[BetReceipt]]:
        """Queue bets all at once and answer each with its own future (its receipt, or its
        refusal raised): bets submitted at once go to the same batches (up to `batch_size`
        each) instead of the first going alone; `together`, they are one batch of their own
        whatever their number (one snapshot and one write), as a caller with a message of bets
        in hand (the batch RPC) wants. A caller may await a future or add a done callback to
        it (a stream does, rather than a task per bet). A caller that goes away (a cancelled
        RPC) cancels its own future only, never its neighbours' batch, which holds the command,
        not the future: its bet is placed or refused all the same (its answer is then
        dropped), and a retry with the same bet id answers from what was stored."""
        loop = asyncio.get_running_loop()
        answers: list[asyncio.Future[BetReceipt]] = []
        items: list[_Waiting] = []
        now = self._clock()
        for command in commands:
            # A refusal nobody awaits (the caller is gone) is not logged as an exception "never
            # retrieved": `answer_batch` looks at each one it sets (no callback a bet).
            answer: asyncio.Future[BetReceipt] = loop.create_future()
            items.append((command, answer, contextvars.copy_context(), now))
            answers.append(answer)
        if self._limit is not None and self._queued and self._queued + len(items) > self._limit:
            said = (
                f"{self._queued} bets are waiting for the database in this process: this one "
                "was not taken; repeat it with the same bet id in a moment"
            )
            for answer in answers:
                # One exception each: an instance raised to several awaiting callers would
                # gather all their tracebacks.
                answer.set_exception(Overloaded(said))
                seen(answer)
            return answers
        self._queued += len(items)
        if together and len(items) > 1:
            self._waiting.append(_Together(items))
            self._messages_waiting += 1
        else:
            self._waiting.extend(items)
        self._start()
        return answers

    def _start(self) -> None:
        """Start what may start, in the order it came: batches of queued bets while fewer than
        `batches` run, messages while fewer than `message_batches` do; a bet whose player is in
        a running batch, or a message with such a player, waits (and keeps its place).

        Later work may go ahead of a waiting message, but work sharing one of its players
        does so at most `OVERTAKEN_AT_MOST` times: then it waits behind the message too.
        Without the bound, a message of 100 players out of 10,000 shares a player with
        another such message two times in three, and could be passed again each time a lane
        came free: PlaceBatch's p99 rose 30-60% with the second lane. With it, a message
        waits for the batches that held its players when it came, and for two more at most
        (bench/README.md, 2026-12-05 05:05)."""
        while self._waiting:
            bets_room = self._running < self._batches
            message_room = self._running_messages < self._message_batches
            if not bets_room and not (message_room and self._messages_waiting):
                # Nothing can start: no look through the queued bets (every call's submit
                # comes here while a batch runs).
                return
            busy = self._busy
            batch: list[_Waiting] = []
            message: _Together | None = None
            later: list[_Waiting | _Together] = []
            passed: list[_Together] = []  # the messages this walk goes past
            overtaking: set[_Together] = set()  # of them, those the batch's bets go ahead of
            # Players of passed messages that have been overtaken enough: nothing after them
            # for these players starts before them.
            reserved: set[int] = set()
            while self._waiting and len(batch) < self._batch_size:
                item = self._waiting.popleft()
                if isinstance(item, _Together):
                    # A batch of its own, once none of its players is in a running batch or
                    # reserved; it heads the next batch rather than joining this one.
                    players = item.players
                    if (
                        not batch
                        and message_room
                        and players.isdisjoint(busy)
                        and players.isdisjoint(reserved)
                    ):
                        message = item
                        break
                    later.append(item)
                    passed.append(item)
                    if item.overtaken >= OVERTAKEN_AT_MOST:
                        reserved |= players
                    if batch:
                        break
                    continue
                # A player's bets wait while a batch with that player runs: two transactions
                # of one player would only queue on each other's locks.
                player = item[0].player_id
                if bets_room and player not in busy and player not in reserved:
                    batch.append(item)
                    for waiting in passed:  # the messages before this bet
                        if player in waiting.players:
                            overtaking.add(waiting)
                else:
                    later.append(item)
            self._waiting.extendleft(reversed(later))
            if message is not None:
                self._messages_waiting -= 1
                self._queued -= len(message.bets)
                for waiting in passed:  # every one of them came before this message
                    if not waiting.players.isdisjoint(message.players):
                        waiting.overtaken += 1
                self._launch(message.bets, message.players, message=True)
            elif batch:
                self._queued -= len(batch)
                for waiting in overtaking:
                    waiting.overtaken += 1
                self._launch(
                    batch,
                    frozenset(command.player_id for command, _, _, _ in batch),
                    message=False,
                )
            else:
                return

    def _launch(self, batch: list[_Waiting], players: frozenset[int], *, message: bool) -> None:
        if self._waits is not None:
            # The queue keeps arrival order, and a batch takes its bets in that order: its
            # first bet is the one that waited longest.
            self._waits.started(self._clock() - batch[0][3], message=message)
        self._busy |= players
        if message:
            self._running_messages += 1
        else:
            self._running += 1
        caller = batch[0][2] if len(batch) == 1 else contextvars.Context()
        task = asyncio.get_running_loop().create_task(
            self._run([(command, answer) for command, answer, _, _ in batch], players, message),
            context=caller,
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(
        self,
        batch: list[tuple[PlaceBetCommand, asyncio.Future[BetReceipt]]],
        players: frozenset[int],
        message: bool,
    ) -> None:
        try:
            await answer_batch(
                [answer for _, answer in batch],
                self._outcomes([command for command, _ in batch]),
            )
        finally:
            if message:
                self._running_messages -= 1
            else:
                self._running -= 1
            self._busy -= players
            self._start()

    async def _outcomes(self, commands: list[PlaceBetCommand]) -> list[BetOutcome]:
        if len(commands) > 1:
            return await self._place_many(commands)
        # A bet alone takes `PlaceBet`'s road, the same one `PlaceBets` would send it down.
        try:
            return [await self._place(commands[0])]
        except DomainError as error:
            return [error]


async def answer_batch(
    answers: Sequence[asyncio.Future[_Answer]],
    outcomes: Awaitable[Sequence[_Answer | DomainError]],
) -> None:
    """Answer each caller of a batch with its own outcome (a refusal raised to it), or every
    caller with the batch's own failure; a cancellation still propagates."""
    try:
        done = await outcomes
    except BaseException as error:
        for answer in answers:
            if not answer.done():
                answer.set_exception(error)
                seen(answer)
        if not isinstance(error, Exception):
            raise
    else:
        for answer, outcome in zip(answers, done, strict=True):
            if answer.done():
                continue
            if isinstance(outcome, DomainError):
                answer.set_exception(outcome)
                # Looked at now, so a refusal whose caller is gone is not logged as "never
                # retrieved"; a caller that awaits it still has it raised.
                seen(answer)
            else:
                answer.set_result(outcome)


def seen(answer: asyncio.Future[Any]) -> None:
    """Look at an answer even when its caller is gone (a done callback), so a refusal nobody
    awaits is not logged as an exception never retrieved."""
    if not answer.cancelled():
        answer.exception()
