"""BetQueue: one bet per call, as PlaceBet answers it, while calls that arrive together share
transactions (group commit by the application)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from application.betting import BetReceipt, PlaceBet, PlaceBetCommand
from application.betting.queue import BetQueue
from domain.errors import InsufficientFunds, LimitExceeded, Overloaded
from domain.money import XTR, Money
from tests.conftest import assert_books_balance, bet_writers
from tests.fakes import RecordingBetMetrics, caller

pytestmark = pytest.mark.usefixtures("books")


def limbo(player_id: int, stake: int) -> PlaceBetCommand:
    return PlaceBetCommand(player_id, uuid.uuid4(), "limbo", Money(stake, XTR), {"target": "2"})


async def test_calls_that_arrive_together_share_transactions_and_keep_their_own_answers(
    funded_player, place: PlaceBet, balances, engine
):
    queue = BetQueue(place, batch_size=64, batches=1)
    players = [await funded_player(1000) for _ in range(5)]
    warm = {p.id: await queue(limbo(p.id, 10)) for p in players}  # alone: nothing waited
    commands = [limbo(p.id, 10) for p in players for _ in range(4)]
    too_big = limbo(players[0].id, 5000)  # more than the wallet
    over_limit = limbo(players[1].id, 10**6)  # above the game's largest stake
    results = await asyncio.gather(
        *(queue(c) for c in [*commands, too_big, over_limit]), return_exceptions=True
    )

    *placed, refused_funds, refused_limit = results
    assert isinstance(refused_funds, InsufficientFunds)
    assert isinstance(refused_limit, LimitExceeded)
    assert all(isinstance(r, BetReceipt) and not r.replayed for r in placed)
    assert [r.bet.id for r in placed] == [c.bet_id for c in commands]
    # The first call found the slot free and went alone; the rest queued behind it and went
    # together: far fewer transactions than bets.
    assert await bet_writers(engine, [c.bet_id for c in commands]) <= 2
    for p in players:
        mine = sorted((r for r in placed if r.bet.player_id == p.id), key=lambda r: r.bet.id)
        assert sorted(r.bet.fairness.nonce for r in mine) == [1, 2, 3, 4]
        final = warm[p.id].balance.amount + sum((r.bet.payout or 0) - 10 for r in mine)
        assert await balances(p.id) == (Money(final, XTR),)


async def test_a_repeat_through_the_queue_is_a_replay(funded_player, place, balances):
    queue = BetQueue(place)
    player = await funded_player(1000)
    command = limbo(player.id, 10)
    first, *repeats = await asyncio.gather(*(queue(command) for _ in range(6)))
    everyone = [first, *repeats]
    assert sum(1 for r in everyone if not r.replayed) == 1
    assert all(r.bet == everyone[0].bet for r in everyone)
    assert await balances(player.id) == (Money(1000 - 10 + (first.bet.payout or 0), XTR),)


async def test_past_its_limit_the_queue_refuses_a_bet_unwritten_and_its_repeat_places_it_once(
    funded_player, place, balances, engine
):
    queue = BetQueue(place, batches=1, limit=3)
    players = [await funded_player(1000) for _ in range(5)]
    first = queue.submit([limbo(players[0].id, 10)])  # a free slot: it starts at once
    waiting = queue.submit([limbo(p.id, 10) for p in players[1:4]])  # three wait: the limit
    refused_command = limbo(players[4].id, 10)
    (refused,) = queue.submit([refused_command])
    with pytest.raises(Overloaded):
        await refused
    placed = await asyncio.gather(*first, *waiting)
    assert all(not r.replayed for r in placed)
    # Nothing of the refused bet was written: no bet, no stake taken.
    assert await bet_writers(engine, [refused_command.bet_id]) == 0
    assert await balances(players[4].id) == (Money(1000, XTR),)
    # The queue drained: the same bet id is taken now, and placed once.
    again = await queue(refused_command)
    assert not again.replayed
    assert (await queue(refused_command)).replayed
    assert await balances(players[4].id) == (Money(990 + (again.bet.payout or 0), XTR),)
    await assert_books_balance(engine)


async def test_a_caller_that_goes_away_does_not_undo_its_neighbours(funded_player, place, balances):
    queue = BetQueue(place, batches=1)
    player = await funded_player(1000)
    await queue(limbo(player.id, 10))
    blocker = asyncio.create_task(queue(limbo(player.id, 10)))
    await asyncio.sleep(0)
    leaving_command, staying_command = limbo(player.id, 10), limbo(player.id, 10)
    leaving = asyncio.create_task(queue(leaving_command))
    staying = asyncio.create_task(queue(staying_command))
    await asyncio.sleep(0)
    leaving.cancel()
    receipt = await staying
    await blocker
    with pytest.raises(asyncio.CancelledError):
        await leaving
    # The cancelled caller's bet was placed all the same; its retry is a replay.
    again = await queue(leaving_command)
    assert again.replayed
    assert receipt.bet.fairness.nonce in (2, 3)
    assert again.bet.fairness.nonce in (2, 3)
    assert again.bet.fairness.nonce != receipt.bet.fairness.nonce


async def test_bets_submitted_together_are_one_batch_whatever_the_batch_size(
    funded_player, place, balances, engine
):
    # A PlaceBatch message: one snapshot read and one write for all its bets, even beyond
    # `batch_size`, and not mixed with the bets queued before it (which go together first).
    queue = BetQueue(place, batch_size=4, batches=1)
    players = [await funded_player(1000) for _ in range(6)]
    before = [limbo(p.id, 10) for p in players[:3]]
    message = [limbo(p.id, 10) for p in players for _ in range(3)]
    answers = [*queue.submit(before), *queue.submit(message, together=True)]
    receipts = await asyncio.gather(*answers)
    assert [r.bet.id for r in receipts] == [c.bet_id for c in [*before, *message]]
    assert await bet_writers(engine, [c.bet_id for c in message]) == 1
    assert await bet_writers(engine, [c.bet_id for c in before]) == 1
    assert await bet_writers(engine, [c.bet_id for c in [*before, *message]]) == 2
    for p in players:
        mine = [r for r in receipts if r.bet.player_id == p.id]
        assert sorted(r.bet.fairness.nonce for r in mine) == list(range(len(mine)))
        final = 1000 - 10 * len(mine) + sum(r.bet.payout or 0 for r in mine)
        assert await balances(p.id) == (Money(final, XTR),)


async def test_messages_side_by_side_each_one_transaction_every_bet_once(
    funded_player, place, balances, engine
):
    # PlaceBatch messages run up to `message_batches` at once (two transactions meeting on the
    # house rows); a message sharing a player with a running one waits for it. Neighbouring
    # messages here share players, the others do not.
    queue = BetQueue(place, batch_size=64, batches=1, message_batches=3)
    players = [await funded_player(1000) for _ in range(12)]
    messages = [
        [limbo(players[(3 * i + k) % 12].id, 10) for k in range(4) for _ in range(2)]
        for i in range(8)
    ]
    answers = [queue.submit(message, together=True) for message in messages]
    receipts = [await asyncio.gather(*message) for message in answers]
    for message, placed in zip(messages, receipts, strict=True):
        assert [r.bet.id for r in placed] == [c.bet_id for c in message]
        assert await bet_writers(engine, [c.bet_id for c in message]) == 1
    every = [c.bet_id for message in messages for c in message]
    assert await bet_writers(engine, every) == len(messages)
    mine: dict[int, list[BetReceipt]] = {}
    for placed in receipts:
        for receipt in placed:
            mine.setdefault(receipt.bet.player_id, []).append(receipt)
    for p in players:
        assert sorted(r.bet.fairness.nonce for r in mine[p.id]) == list(range(len(mine[p.id])))
        final = 1000 - 10 * len(mine[p.id]) + sum(r.bet.payout or 0 for r in mine[p.id])
        assert await balances(p.id) == (Money(final, XTR),)


def test_a_queue_needs_room():
    with pytest.raises(ValueError, match="batch_size"):
        BetQueue(object(), batch_size=0)  # type: ignore[arg-type]


async def test_a_hot_players_calls_go_together_not_against_each_other(
    funded_player, place, balances, engine
):
    queue = BetQueue(place, batch_size=64, batches=4)
    player = await funded_player(10_000)
    await queue(limbo(player.id, 10))
    commands = [limbo(player.id, 10) for _ in range(40)]
    receipts = await asyncio.gather(*(queue(c) for c in commands))
    # However many slots are free, one player's bets never run in two transactions at once:
    # the first went alone, the other 39 waited for it and went together.
    assert await bet_writers(engine, [c.bet_id for c in commands]) == 2
    assert sorted(r.bet.fairness.nonce for r in receipts) == list(range(1, 41))


async def test_a_bet_alone_runs_in_its_callers_context_and_a_batch_of_several_in_none(
    funded_player, uow_factory, clock, ids, house, seed_source
):
    # What the entrypoints put in the context (request and bet ids, the trace) must follow
    # a bet into the queue's task, and never a neighbour's bet.
    metrics = RecordingBetMetrics()
    queue = BetQueue(PlaceBet(uow_factory, clock, ids, house, seed_source, metrics=metrics))
    players = [await funded_player(1000) for _ in range(4)]
    commands = [limbo(p.id, 10) for p in players]
    too_big = limbo(players[1].id, 5000)

    async def call(name: str, command: PlaceBetCommand) -> BetReceipt:
        caller.set(name)
        return await queue(command)

    results = await asyncio.gather(
        *(call(f"caller-{i}", c) for i, c in enumerate([*commands, too_big])),
        return_exceptions=True,
    )
    assert isinstance(results[-1], InsufficientFunds)
    counted = {bet_id: context for bet_id, _, context in metrics.placed_bets}
    # The first found the queue idle and went alone, in its caller's context; the others
    # went together, in an empty one.
    assert counted == {
        commands[0].bet_id: "caller-0",
        **{c.bet_id: None for c in commands[1:]},
    }
    assert [state for _, state, _ in metrics.placed_bets] == [
        r.bet.state.value for r in results[:-1]
    ]
    assert metrics.refusals == [("limbo", "XTR", "insufficient_funds", None)]
    # A repeat is a replay: counted once, the first time.
    assert (await queue(commands[2])).replayed
    assert len(metrics.placed_bets) == 4


async def test_a_refusal_whose_caller_is_gone_is_not_logged_as_never_retrieved(
    funded_player, place
):
    """The queue looks at every refusal it hands out (a caller that left, a cancelled RPC,
    never awaits its answer): no "exception was never retrieved" from the loop; a caller
    that does await still has it raised."""
    import gc

    queue = BetQueue(place)
    player = await funded_player(100)
    loop = asyncio.get_running_loop()
    reported: list[dict] = []
    before = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, report: reported.append(report))
    try:
        dropped = queue.submit([limbo(player.id, 5000), limbo(player.id, 6000)])
        awaited = queue.submit([limbo(player.id, 7000)])
        with pytest.raises(InsufficientFunds):
            await awaited[0]
        await asyncio.wait(dropped)
        assert all(isinstance(a.exception(), InsufficientFunds) for a in dropped)
        # A refusal nobody looked at: made and dropped as a caller that went away would.
        forgotten = queue.submit([limbo(player.id, 8000)])[0]
        await asyncio.wait([forgotten])
        del dropped, awaited, forgotten
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(before)
    assert reported == []
