"""PlaceBets, the batched placement behind StreamBets, on the real PostgreSQL: one unit of
work and a handful of set-based statements per batch, the bets it cannot decide itself placed
one by one after it. Each bet keeps its own result (a failure never fails its neighbours), its
idempotency, its events, and the races of test_betting_concurrency.py hold through it."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text

from application.betting import BetReceipt, PlaceBet, PlaceBetCommand, PlaceBets
from application.responsible import SelfExclude
from domain.bets import BetState
from domain.errors import DomainError, IdempotencyConflict, InsufficientFunds, NotFound
from domain.money import XTR, Money
from domain.responsible import ResponsibleGamblingRefusal, SelfExclusionPeriod
from tests.conftest import bet_writers, race

pytestmark = pytest.mark.usefixtures("books")


def xtr(amount: int) -> Money:
    return Money(amount, XTR)


def darts(player_id: int, stake: int, bet_id: uuid.UUID | None = None) -> PlaceBetCommand:
    return PlaceBetCommand(
        player_id, bet_id or uuid.uuid4(), "tg_darts", xtr(stake), {"bet": "hit"}
    )


def limbo(player_id: int, stake: int, bet_id: uuid.UUID | None = None) -> PlaceBetCommand:
    return PlaceBetCommand(player_id, bet_id or uuid.uuid4(), "limbo", xtr(stake), {"target": "2"})


@pytest.fixture
def place_many(place: PlaceBet) -> PlaceBets:
    return PlaceBets(place)


async def _bet_events(engine, bet_ids) -> dict[str, list[str]]:
    """Each bet's events in the order written: its own aggregate's, or the one `bet.played`
    (on its player's aggregate) of a bet placed and settled in one transaction."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT CASE type WHEN 'bet.played' THEN payload ->> 'bet_id'"
                " ELSE aggregate_id END AS bet, type FROM outbox_events"
                " WHERE aggregate_type = 'bet' AND aggregate_id = ANY(CAST(:ids AS text[]))"
                " OR type = 'bet.played' AND payload ->> 'bet_id' = ANY(CAST(:ids AS text[]))"
                " ORDER BY position, place"
            ),
            {"ids": [str(i) for i in bet_ids]},
        )
        events: dict[str, list[str]] = {}
        for r in rows:
            events.setdefault(r.bet, []).append(r.type)
        return events


async def _bets_of(engine, player_id: int) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT count(*) FROM bets WHERE player_id = :p"), {"p": player_id}
            )
        ).scalar_one()


async def test_one_bets_failure_never_fails_its_neighbours(
    funded_player, new_player, place_many, balances, uow_factory, clock, engine
):
    rich, poor, excluded = (
        await funded_player(1000),
        await funded_player(20),
        await funded_player(500),
    )
    await SelfExclude(uow_factory, clock)(excluded.id, SelfExclusionPeriod.SIX_MONTHS)
    commands = [
        darts(rich.id, 100),
        darts(poor.id, 50),  # more than the wallet holds
        PlaceBetCommand(rich.id, uuid.uuid4(), "no_such_game", xtr(10), {}),
        darts(excluded.id, 10),  # refused by the responsible-gambling guard
        limbo(rich.id, 10),
        darts(poor.id, 20),  # exactly what the wallet holds
    ]
    outcomes = await place_many(commands)

    assert isinstance(outcomes[0], BetReceipt)
    assert outcomes[0].bet.state is BetState.PLACED
    assert isinstance(outcomes[1], InsufficientFunds)
    assert isinstance(outcomes[2], DomainError)
    assert isinstance(outcomes[3], ResponsibleGamblingRefusal)
    assert isinstance(outcomes[4], BetReceipt)
    assert outcomes[4].bet.state.is_final
    assert isinstance(outcomes[5], BetReceipt)
    assert outcomes[5].balance == xtr(0)
    assert await balances(poor.id) == (xtr(0),)
    assert await balances(excluded.id) == (xtr(500),)
    limbo_back = outcomes[4].bet.payout or 0
    assert await balances(rich.id) == (xtr(1000 - 100 - 10 + limbo_back),)
    assert await _bets_of(engine, excluded.id) == 0
    assert await _bets_of(engine, poor.id) == 1

    # The outbox has the events of every committed bet and none of the failed ones.
    events = await _bet_events(engine, [c.bet_id for c in commands])
    assert events == {
        str(commands[0].bet_id): ["bet.placed"],
        str(commands[4].bet_id): ["bet.played"],  # placed and settled in one transaction
        str(commands[5].bet_id): ["bet.placed"],
    }


async def test_an_unknown_player_or_game_is_that_bets_error(funded_player, place_many):
    player = await funded_player(100)
    outcomes = await place_many(
        [
            darts(player.id, 10),
            darts(2**52, 10),
            PlaceBetCommand(player.id, uuid.uuid4(), "nope", xtr(10), {}),
        ]
    )
    assert isinstance(outcomes[0], BetReceipt)
    assert isinstance(outcomes[1], NotFound)
    assert isinstance(outcomes[2], DomainError)


async def test_a_bet_id_repeated_in_a_batch_and_across_batches_is_placed_once(
    funded_player, place_many, balances, engine
):
    player = await funded_player(1000)
    twice = darts(player.id, 100)
    conflicting = darts(player.id, 100)
    outcomes = await place_many(
        [twice, conflicting, twice, darts(player.id, 200, conflicting.bet_id)]
    )
    first, other, again, conflict = outcomes
    assert isinstance(first, BetReceipt)
    assert isinstance(again, BetReceipt)
    assert isinstance(other, BetReceipt)
    assert [first.replayed, again.replayed].count(True) == 1  # one of the two placed it
    assert first.bet.id == again.bet.id == twice.bet_id
    # The same id with a different stake is a conflict for that bet only.
    assert isinstance(conflict, IdempotencyConflict)
    assert await balances(player.id) == (xtr(800),)

    later = await place_many([twice, darts(player.id, 5)])
    assert isinstance(later[0], BetReceipt)
    assert later[0].replayed
    assert later[0].bet == first.bet
    assert isinstance(later[1], BetReceipt)
    assert not later[1].replayed
    assert await balances(player.id) == (xtr(795),)
    assert await _bets_of(engine, player.id) == 3


async def test_bets_of_one_player_in_a_batch_draw_consecutive_nonces(
    funded_player, place_many, place
):
    player = await funded_player(1000)
    first = await place(limbo(player.id, 10))
    outcomes = await place_many(
        [limbo(player.id, 10), limbo(player.id, 10000), limbo(player.id, 10)]
    )
    assert isinstance(outcomes[1], InsufficientFunds)
    nonces = sorted(o.bet.fairness.nonce for o in outcomes if isinstance(o, BetReceipt))
    assert nonces == [first.bet.fairness.nonce + 1, first.bet.fairness.nonce + 2]
    after = await place(limbo(player.id, 10))
    assert after.bet.fairness.nonce == first.bet.fairness.nonce + 3  # the refusal took none


# -- the races of test_betting_concurrency.py, through concurrent batches ---------------------


async def _batches(place_many: PlaceBets, commands, size: int):
    """Place the commands as concurrent batches of `size`, started at one instant."""
    chunks = [commands[i : i + size] for i in range(0, len(commands), size)]
    placed = await race(len(chunks), lambda i: place_many(chunks[i]))
    failed = [p for p in placed if isinstance(p, BaseException)]
    if failed:
        raise failed[0]
    return [outcome for chunk in placed for outcome in chunk]


async def test_concurrent_batches_never_overdraw_a_hot_wallet(
    funded_player, place_many, balances, engine
):
    player = await funded_player(500)
    outcomes = await _batches(place_many, [darts(player.id, 50) for _ in range(40)], size=8)
    placed = [o for o in outcomes if isinstance(o, BetReceipt)]
    assert len(placed) == 10
    assert all(isinstance(o, InsufficientFunds) for o in outcomes if not isinstance(o, BetReceipt))
    assert await balances(player.id) == (xtr(0),)
    assert await _bets_of(engine, player.id) == 10


async def test_concurrent_batches_of_one_player_take_consecutive_nonces(
    funded_player, place_many, engine
):
    player = await funded_player(10_000)
    outcomes = await _batches(place_many, [limbo(player.id, 10) for _ in range(100)], size=16)
    assert all(isinstance(o, BetReceipt) for o in outcomes)
    assert sorted(o.bet.fairness.nonce for o in outcomes) == list(range(100))
    async with engine.connect() as conn:
        next_nonce = (
            await conn.execute(
                text(
                    "SELECT next_nonce FROM seed_pairs WHERE player_id = :p AND revealed_at IS NULL"
                ),
                {"p": player.id},
            )
        ).scalar_one()
    assert next_nonce == 100


async def test_a_duplicate_bet_id_in_concurrent_batches_and_single_calls_places_once(
    funded_player, place_many, place, balances, engine
):
    player = await funded_player(1000)
    command = darts(player.id, 100)
    pf = limbo(player.id, 10)
    start = asyncio.Event()

    async def batch():
        await start.wait()
        return await place_many([command, pf, darts(player.id, 1)])

    async def single(c):
        await start.wait()
        return [await place(c)]

    tasks = [asyncio.create_task(batch()) for _ in range(6)]
    tasks += [asyncio.create_task(single(command)) for _ in range(4)]
    tasks += [asyncio.create_task(single(pf)) for _ in range(4)]
    await asyncio.sleep(0)
    start.set()
    results = [r for t in await asyncio.gather(*tasks) for r in t]
    assert all(isinstance(r, BetReceipt) for r in results)
    ours = [r for r in results if r.bet.id == command.bet_id]
    assert sum(1 for r in ours if not r.replayed) == 1
    fair = [r for r in results if r.bet.id == pf.bet_id]
    assert sum(1 for r in fair if not r.replayed) == 1
    assert {r.bet.fairness.nonce for r in fair} == {0}  # the losers' nonces were rolled back
    assert await _bets_of(engine, player.id) == 2 + 6
    payout = fair[0].bet.payout or 0
    assert await balances(player.id) == (xtr(1000 - 100 - 10 + payout - 6),)


async def test_many_players_in_concurrent_batches(funded_player, place_many, balances):
    players = [await funded_player(100) for _ in range(12)]
    commands = [darts(p.id, 30) for p in players for _ in range(4)]  # 3 of 4 fit
    outcomes = await _batches(place_many, commands, size=16)
    for p in players:
        mine = [o for c, o in zip(commands, outcomes, strict=True) if c.player_id == p.id]
        assert sum(isinstance(o, BetReceipt) for o in mine) == 3
        assert await balances(p.id) == (xtr(10),)


# -- a batch whose transaction fails as a whole -----------------------------------------------


class _FailingCommits:
    """A unit-of-work factory whose first `fail` commits raise: before the COMMIT reaches the
    server (nothing was written), or after it (written, but the answer was lost)."""

    def __init__(self, factory, *, fail: int, after: bool) -> None:
        self._factory = factory
        self._left = fail
        self._after = after

    def __call__(self):
        uow = self._factory()
        real_commit = uow.commit

        async def commit() -> None:
            if self._left > 0:
                self._left -= 1
                if self._after:
                    await real_commit()
                raise ConnectionResetError("the connection went away during COMMIT")
            await real_commit()

        uow.commit = commit
        return uow


@pytest.mark.parametrize("after", [False, True], ids=["lost-before", "lost-after"])
async def test_a_failed_batch_commit_places_each_bet_once_one_by_one(
    after, funded_player, uow_factory, clock, ids, house, seed_source, balances, engine
):
    player, other = await funded_player(100), await funded_player(100)
    place = PlaceBet(
        _FailingCommits(uow_factory, fail=1, after=after), clock, ids, house, seed_source
    )
    commands = [darts(player.id, 60), darts(player.id, 60), limbo(player.id, 10)]
    outcomes = await PlaceBets(place)(commands)
    won = [o for o in outcomes[:2] if isinstance(o, BetReceipt)]
    assert len(won) == 1  # only one of the two 60s fits
    assert sum(isinstance(o, InsufficientFunds) for o in outcomes[:2]) == 1
    assert isinstance(outcomes[2], BetReceipt)
    assert won[0].replayed is after  # committed by the batch: answered as a replay
    assert outcomes[2].bet.fairness.nonce == 0
    payout = outcomes[2].bet.payout or 0
    assert await balances(player.id) == (xtr(100 - 60 - 10 + payout),)
    assert await _bets_of(engine, player.id) == 2
    assert await balances(other.id) == (xtr(100),)
    events = await _bet_events(engine, [c.bet_id for c in commands])
    assert set(events) == {str(won[0].bet.id), str(commands[2].bet_id)}


async def test_a_bet_that_waits_on_a_lock_is_placed_alone_after_its_batch(
    funded_player, place_many, balances, engine
):
    busy, free = await funded_player(100), await funded_player(100)
    busy_bet, free_bet = darts(busy.id, 10), darts(free.id, 10)
    async with engine.connect() as conn:
        # Another transaction holds the busy player's wallet, longer than a batch waits.
        await conn.execute(
            text("SELECT id FROM accounts WHERE player_id = :p FOR UPDATE"), {"p": busy.id}
        )
        batch = asyncio.create_task(place_many([busy_bet, free_bet]))
        await asyncio.sleep(0.5)
        assert not batch.done()  # the busy bet waits for its own, single transaction
        assert await _bets_of(engine, free.id) == 1  # its neighbour committed without it
        await conn.rollback()
    outcomes = await batch
    assert all(isinstance(o, BetReceipt) for o in outcomes)
    assert not any(o.replayed for o in outcomes)
    assert await balances(busy.id) == (xtr(90),)
    assert await balances(free.id) == (xtr(90),)


# -- the set-based path: players who have played before are placed in one transaction -----


async def test_bets_of_players_with_seed_pairs_are_written_by_one_transaction(
    funded_player, place_many, place, balances, engine
):
    players = [await funded_player(1000) for _ in range(4)]
    firsts = {p.id: await place(limbo(p.id, 10)) for p in players}  # each has a seed pair now
    commands = [limbo(p.id, 10) for p in players for _ in range(3)] + [
        darts(players[0].id, 5),
        limbo(players[1].id, 5000),  # more than the wallet: its own error, no nonce taken
    ]
    outcomes = await place_many(commands)

    assert isinstance(outcomes[-1], InsufficientFunds)
    placed = [o for o in outcomes if isinstance(o, BetReceipt)]
    assert len(placed) == 13
    assert not any(o.replayed for o in placed)
    assert await bet_writers(engine, [o.bet.id for o in placed]) == 1
    for p in players:
        # A batch decides its bets in (player, bet id) order: nonces and balances follow it.
        mine = sorted((o for o in placed if o.bet.player_id == p.id), key=lambda o: o.bet.id)
        first = firsts[p.id].bet.fairness.nonce
        fair = [o.bet.fairness.nonce for o in mine if o.bet.fairness is not None]
        assert fair == [first + 1, first + 2, first + 3]
        # Each receipt's balance is the wallet right after that bet, as if placed alone.
        expected = firsts[p.id].balance.amount
        for o in mine:
            expected += (o.bet.payout or 0) - o.bet.stake.amount
            assert o.balance == xtr(expected)
        assert await balances(p.id) == (xtr(expected),)
    later = await place(limbo(players[1].id, 10))
    assert later.bet.fairness.nonce == firsts[players[1].id].bet.fairness.nonce + 4
    events = await _bet_events(engine, [o.bet.id for o in placed])
    # Darts waits for the dice: placed. Limbo is played at once: one event a bet.
    assert {o.bet.id.hex: events[str(o.bet.id)] for o in placed} == {
        o.bet.id.hex: ["bet.placed"] if o.bet.game == "tg_darts" else ["bet.played"] for o in placed
    }


async def test_a_twin_committed_during_a_batch_sends_its_bets_one_by_one(
    funded_player, place_many, place, balances, engine
):
    player = await funded_player(1000)
    await place(limbo(player.id, 10))
    twin = limbo(player.id, 10)
    start = asyncio.Event()

    async def batch():
        await start.wait()
        return await place_many([twin, limbo(player.id, 10), darts(player.id, 1)])

    async def single():
        await start.wait()
        return [await place(twin)]

    tasks = [asyncio.create_task(batch()) for _ in range(4)]
    tasks += [asyncio.create_task(single()) for _ in range(4)]
    await asyncio.sleep(0)
    start.set()
    results = [r for t in await asyncio.gather(*tasks) for r in t]
    assert all(isinstance(r, BetReceipt) for r in results)
    assert sum(1 for r in results if r.bet.id == twin.bet_id and not r.replayed) == 1
    assert await _bets_of(engine, player.id) == 1 + 1 + 4 + 4
    nonces = sorted(r.bet.fairness.nonce for r in results if r.bet.fairness and not r.replayed)
    assert nonces == list(range(1, 6))  # no nonce lost to a rolled-back batch, none shared


async def test_first_provably_fair_bets_get_their_seed_pairs_inside_the_batch(
    funded_player, place_many, place, engine
):
    players = [await funded_player(1000) for _ in range(3)]
    commands = [limbo(p.id, 10) for p in players for _ in range(2)]
    outcomes = await place_many(commands)
    assert all(isinstance(o, BetReceipt) for o in outcomes)
    assert await bet_writers(engine, [c.bet_id for c in commands]) == 1
    for p in players:
        mine = [o.bet.fairness for o in outcomes if o.bet.player_id == p.id]
        assert sorted(f.nonce for f in mine) == [0, 1]
        assert len({f.seed_pair_id for f in mine}) == 1
        # The pair is the player's active one: the next single bet goes on from it.
        after = await place(limbo(p.id, 10))
        assert after.bet.fairness.seed_pair_id == mine[0].seed_pair_id
        assert after.bet.fairness.nonce == 2
