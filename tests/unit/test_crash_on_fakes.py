"""Crash's use cases on in-memory fakes (tests/fake_crash.py), on a fake clock that is also the
database's: PlaceRoundBet, CashOutRoundBet, SettleCrashedRound, CrashDriver, GetRound and
CrashPoints. The locks, the database's clock and the chain's privileges are tested on
PostgreSQL (tests/integration/test_crash_rounds.py).

Over 400 lines on purpose: one fake world (`World` below) serves every crash use case, and the
batched bets and cash-outs are tested against the same world as the single ones they must match."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from fractions import Fraction

import pytest

from application.bankroll import FundBankroll, FundBankrollCommand
from application.crash import (
    CashOutCommand,
    CashOutRoundBet,
    CrashDriver,
    CrashPoints,
    CrashPolicy,
    Disconnected,
    GetRound,
    PlaceRoundBet,
    PlaceRoundBetCommand,
    RoundEventKind,
    RoundFeed,
    SettleCrashedRound,
)
from application.crash.batching import GroupCommit
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.reconciliation import Reconcile
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.bets import BetState
from domain.crash import crash_point, first_link, hash_forward, ms_to_reach
from domain.crash_rounds import CashOut, RoundPhase
from domain.errors import DomainError, IllegalTransition, LimitExceeded, NotFound
from domain.money import XTR, Money
from domain.players import PlayerStatus
from domain.standing import PlayerBlocked
from tests.casino_on_fakes import FixedSeeds
from tests.fake_books import FakeBooksAudit
from tests.fake_crash import FakeLeaderLock, add_chain
from tests.fakes import FakeClock, FakeDatabase, SequentialIds

SALT = "fake-salt"
POLICY = CrashPolicy(
    betting_seconds=5, bankroll_share=Fraction(1), watch=0.1, recovery_grace=3, lock_poll=0.01
)


def _secret(low: int, high: int, length: int = 3) -> tuple[bytes, int]:
    for i in itertools.count():
        secret = f"fake-crash-{i}".encode().ljust(16, b".")
        point = crash_point(hash_forward(first_link(secret), length - 1), SALT)
        if low <= point <= high:
            return secret, point
    raise AssertionError("unreachable")  # pragma: no cover


class World:
    def __init__(self, low: int = 200, high: int = 300) -> None:
        self.db, self.clock, self.ids = FakeDatabase(), FakeClock(), SequentialIds()
        self.house = HouseBook(4)
        self.db.state.crash_clock = self.clock  # the database's clock is the test's
        self.secret, self.point = _secret(low, high)
        add_chain(self.db.state, self.secret, 3, SALT)
        args = (self.db, self.clock, self.ids, self.house)
        self.place = PlaceRoundBet(*args, FixedSeeds(), policy=POLICY)
        self.cash_out = CashOutRoundBet(*args)
        self.settle = SettleCrashedRound(*args)
        self.get = GetRound(self.db)
        self.held: set[str] = set()

    def driver(self, name: str = "a") -> CrashDriver:
        return CrashDriver(
            self.db, self.clock, FakeLeaderLock(self.held, name), self.settle, POLICY
        )

    async def player(self, tg: int, amount: int = 1000) -> int:
        player = (
            await RegisterPlayer(self.db, self.clock)(
                RegisterPlayerCommand(tg, currencies=(XTR,), accept_terms=True)
            )
        ).player
        await CreditDeposit(self.db, self.clock, self.ids, self.house)(
            CreditDepositCommand(player.id, Money(amount, XTR), f"dep-{tg}")
        )
        await FundBankroll(self.db, self.clock, self.ids, self.house)(
            FundBankrollCommand(Money(10**6, XTR), "tests", f"bankroll-{tg}")
        )
        return player.id

    async def balance(self, player_id: int) -> int:
        async with self.db() as uow:
            wallet = await uow.accounts.wallet(player_id, XTR)
        assert wallet is not None
        return wallet.balance


def _bet(player_id: int, stake: int = 100, **params: str) -> PlaceRoundBetCommand:
    return PlaceRoundBetCommand(player_id, uuid.uuid4(), Money(stake, XTR), params)


async def test_a_round_on_fakes_pays_targets_cash_outs_and_takes_the_rest() -> None:
    w = World()
    driver = w.driver()
    assert await driver.step() == pytest.approx(0.1)  # opened; betting for 5 s
    target, manual, lost = [await w.player(i) for i in (1, 2, 3)]
    a = await w.place(_bet(target, target="1.50"))
    b = await w.place(_bet(manual))
    c = await w.place(_bet(lost, target="900"))
    with pytest.raises(IllegalTransition, match="one bet a round"):
        await w.place(_bet(target))
    w.clock.advance(seconds=5)
    assert await driver.step() == 0  # started
    view = await w.get(a.round.id, player_id=manual)
    assert view.round.phase is RoundPhase.RUNNING
    assert view.round.round_hash is None
    assert [s.bet_id for s in view.seats] == [b.seat.bet_id]
    w.clock.advance(milliseconds=ms_to_reach(120))
    cashed = await w.cash_out(CashOutCommand(manual, b.seat.bet_id))
    assert cashed.multiplier == 120
    assert cashed.receipt.bet.state is BetState.WON
    w.clock.advance(milliseconds=ms_to_reach(w.point) - ms_to_reach(120))
    with pytest.raises(IllegalTransition, match="crashed"):
        await w.cash_out(CashOutCommand(lost, c.seat.bet_id))
    await driver.step()
    crashed = (await w.get(a.round.id)).round
    assert crashed.phase is RoundPhase.CRASHED
    assert crashed.crash_point == w.point
    assert crashed.round_hash == hash_forward(first_link(w.secret), 2)
    assert (await w.balance(target), await w.balance(manual), await w.balance(lost)) == (
        1050,
        1020,
        900,
    )
    assert driver.stats.crashed == 1
    assert driver.stats.interrupted == 0


async def test_a_blocked_player_places_no_crash_bet_but_may_cash_out() -> None:
    w = World()
    driver = w.driver()
    await driver.step()
    player = await w.player(1)
    placed = await w.place(_bet(player))
    async with w.db() as uow:
        await uow.players.set_status(player, PlayerStatus.BLOCKED, "tests")
        await uow.commit()
    with pytest.raises(PlayerBlocked):
        await w.place(_bet(player))
    w.clock.advance(seconds=5)
    await driver.step()
    w.clock.advance(milliseconds=ms_to_reach(110))
    assert (await w.cash_out(CashOutCommand(player, placed.seat.bet_id))).multiplier == 110
    with pytest.raises(NotFound):
        await w.cash_out(CashOutCommand(player, uuid.uuid4()))


async def test_the_bankroll_share_refuses_a_bet_past_it() -> None:
    w = World()
    share = CrashPolicy(bankroll_share=Fraction(1, 10**6))  # owes at most a few Stars
    place = PlaceRoundBet(w.db, w.clock, w.ids, w.house, FixedSeeds(), policy=share)
    await w.driver().step()
    player = await w.player(1)
    with pytest.raises(LimitExceeded, match="this crash round can pay out at most"):
        await place(_bet(player, target="3"))
    assert await w.balance(player) == 1000
    async with w.db() as uow:
        assert await uow.crash.seats(1) == []


async def test_a_new_driver_finishes_a_round_as_interrupted() -> None:
    w = World()
    first = w.driver("a")
    await first.step()
    target, rider = await w.player(1), await w.player(2)
    await w.place(_bet(target, target="1.10"))
    await w.place(_bet(rider))
    w.clock.advance(seconds=5)
    await first.step()
    w.clock.advance(milliseconds=ms_to_reach(w.point))
    second = w.driver("b")
    await second.step()
    assert second.stats.interrupted == 1
    assert await w.balance(target) == 1010  # its target was reached
    assert await w.balance(rider) == 1000  # refunded, not lost
    assert w.db.state.crash_interrupted == {1}


async def test_one_driver_runs_and_another_takes_over_when_it_dies() -> None:
    w = World()
    first, second = w.driver("a"), w.driver("b")
    stop = asyncio.Event()
    task_a = asyncio.create_task(first.run(stop))
    await asyncio.sleep(0.05)
    task_b = asyncio.create_task(second.run(stop))
    await asyncio.sleep(0.05)
    assert first.leading
    assert not second.leading
    first._lock.alive = False  # type: ignore[attr-defined]  # its connection died
    await asyncio.sleep(0.3)
    assert second.leading
    assert not first.leading
    stop.set()
    await asyncio.gather(task_a, task_b)
    assert w.db.state.crash_rounds  # someone opened a round


async def test_the_driver_sleeps_until_its_next_move_but_never_past_its_watch() -> None:
    """No polling tick: the driver waits for the betting end and the crash time themselves, at
    most `watch` at a time (its bound on noticing a lost lock or a changed round)."""
    w = World()
    crash_ms = ms_to_reach(w.point)
    lock = FakeLeaderLock(w.held, "a")
    patient = CrashDriver(w.db, w.clock, lock, w.settle, replace(POLICY, watch=60))
    assert await patient.step() == 5  # opened: the whole betting time
    w.clock.advance(seconds=2)
    assert await patient.step() == pytest.approx(3)
    w.clock.advance(seconds=3)
    assert await patient.step() == 0  # started: look again at once
    assert await patient.step() == pytest.approx(crash_ms / 1000)
    w.clock.advance(milliseconds=crash_ms)
    assert await patient.step() == 5  # crashed on time, and the next round opened
    assert (patient.stats.crashed, patient.stats.interrupted) == (1, 0)
    assert patient.stats.lags_ms == [0]
    # A watch shorter than the wait caps it; a deadline sooner than the watch does not wait it.
    assert await w.driver().step() == POLICY.watch
    w.clock.advance(seconds=4.95)
    assert await w.driver().step() == pytest.approx(0.05)


async def test_a_driver_waiting_for_a_far_deadline_notices_a_lost_lock_within_its_watch() -> None:
    w = World()
    policy = replace(POLICY, betting_seconds=3600, watch=0.05)
    watchful = CrashDriver(w.db, w.clock, FakeLeaderLock(w.held, "a"), w.settle, policy)
    # Its own lock set: both lead at once, as if each had its own database.
    sleepy_lock = FakeLeaderLock(set(), "b")
    sleepy = CrashDriver(w.db, w.clock, sleepy_lock, w.settle, replace(policy, watch=3600))
    stop = asyncio.Event()
    tasks = [asyncio.create_task(d.run(stop)) for d in (watchful, sleepy)]
    for _ in range(100):
        if watchful.leading and sleepy.leading and w.db.state.crash_rounds:
            break
        await asyncio.sleep(0.01)
    assert watchful.leading
    assert sleepy.leading
    watchful._lock.alive = False  # type: ignore[attr-defined]  # its connection died
    sleepy_lock.alive = False
    await asyncio.sleep(0.3)  # six watches; the betting hour is far off
    assert not watchful.leading
    assert sleepy.leading  # asleep until its own watch: the watch is the bound
    stop.set()
    await asyncio.gather(*tasks)
    assert not sleepy.leading


async def test_crash_points_reads_a_started_rounds_hash_once() -> None:
    w = World()
    await w.driver().step()
    points = CrashPoints()
    async with w.db() as uow:
        round_ = await uow.crash.latest()
        assert round_ is not None
        with pytest.raises(IllegalTransition, match="not started"):
            await points.of(uow, round_)
        started, round_hash = await uow.crash.start_round(round_.id)
        assert await points.of(uow, started) == (round_hash, w.point)
        assert started.id in points.known


async def test_reconcile_recomputes_crash_rounds_and_their_bets() -> None:
    w = World()
    driver = w.driver()
    await driver.step()
    target, lost = await w.player(1), await w.player(2)
    won = await w.place(_bet(target, target="1.50"))
    await w.place(_bet(lost, target="900"))
    w.clock.advance(seconds=5)
    await driver.step()
    w.clock.advance(milliseconds=ms_to_reach(w.point))
    await driver.step()
    audit = FakeBooksAudit(w.db)
    assert (await Reconcile(audit)()).discrepancies == []
    state = w.db.state
    # a cash-out that never happened, on the bet that reached its target
    seat = state.crash_seats[won.seat.bet_id]
    state.crash_seats[seat.bet_id] = replace(seat, cash_out=CashOut(120, ms_to_reach(120)))
    # and a crash point that is not the hash's
    crashed = state.crash_rounds[won.round.id]
    state.crash_rounds[crashed.id] = replace(crashed, crash_point=crashed.crash_point + 1)
    problems = [str(d) for d in (await Reconcile(audit)()).discrepancies]
    assert any("does not recompute from its hash and salt" in p for p in problems), problems
    assert any(f"{seat.bet_id}: outcome 150" in p for p in problems), problems


async def test_the_round_feed_tells_each_change_once_and_cuts_off_the_slow() -> None:
    w = World()
    driver = w.driver()
    feed = RoundFeed(w.db, tick=0.001, queue_size=64)
    await driver.step()  # betting
    player = await w.player(1)
    placed = await w.place(_bet(player))
    listener = feed.listen()
    first = await asyncio.wait_for(anext(listener), 1)
    assert first.kind is RoundEventKind.BETTING_OPEN
    w.clock.advance(seconds=5)
    await driver.step()  # started
    assert (await asyncio.wait_for(anext(listener), 1)).kind is RoundEventKind.STARTED
    w.clock.advance(milliseconds=ms_to_reach(130))
    await w.cash_out(CashOutCommand(player, placed.seat.bet_id))
    cashed = await asyncio.wait_for(anext(listener), 1)
    assert cashed.kind is RoundEventKind.CASHED_OUT
    assert cashed.seat is not None
    assert cashed.seat.cash_out is not None
    assert cashed.seat.cash_out.multiplier == 130
    w.clock.advance(milliseconds=ms_to_reach(w.point))
    await driver.step()  # crashed, and the next round opens
    crashed = await asyncio.wait_for(anext(listener), 1)
    assert crashed.kind is RoundEventKind.CRASHED
    assert crashed.round.round_hash == hash_forward(first_link(w.secret), 2)
    assert (await asyncio.wait_for(anext(listener), 1)).kind is RoundEventKind.BETTING_OPEN
    await listener.aclose()


async def test_the_round_feed_cuts_off_a_listener_that_falls_behind() -> None:
    w = World()
    driver = w.driver()
    await driver.step()
    player = await w.player(1)
    placed = await w.place(_bet(player))
    slow = RoundFeed(w.db, tick=0.001, queue_size=1).listen()
    await asyncio.wait_for(anext(slow), 1)  # the state now; then it reads nothing a while
    w.clock.advance(seconds=5)
    await driver.step()  # started: one event queued
    w.clock.advance(milliseconds=ms_to_reach(110))
    await w.cash_out(CashOutCommand(player, placed.seat.bet_id))  # a second: no room
    await asyncio.sleep(0.05)
    with pytest.raises(Disconnected):
        await asyncio.wait_for(_drain(slow), 1)


async def _drain(events: AsyncIterator[object]) -> None:
    async for _ in events:
        pass


def _bets_written(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of seats of each crash-bet write that commits (the fakes' `place_round_bets`)."""
    from tests.fake_betting import FakePlacements

    written: list[int] = []
    write = FakePlacements.write_deferred

    async def counted(self: FakePlacements) -> None:
        deferred = getattr(self, "deferred", None)
        await write(self)
        if deferred is not None and deferred.round is not None:
            written.append(len(deferred.round.seats))

    monkeypatch.setattr(FakePlacements, "write_deferred", counted)
    return written


async def test_crash_bets_that_arrive_together_share_one_write_each_with_its_outcome(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = World()
    written = _bets_written(monkeypatch)
    await w.driver().step()
    p1, p2, p3, p4 = [await w.player(i) for i in (1, 2, 3, 4)]
    ids = [uuid.UUID(int=n) for n in range(1, 7)]
    first, second, third, fourth = (
        PlaceRoundBetCommand(p, ids[n], Money(100, XTR), {}) for n, p in enumerate((p1, p2, p3, p4))
    )
    again = PlaceRoundBetCommand(p2, ids[4], Money(50, XTR), {})  # a second bet of p2's, later id
    outcomes = await asyncio.gather(
        *(w.place(c) for c in (first, second, third, fourth, again, third)),
        return_exceptions=True,
    )
    # The first call found the slot free and went alone; the other five went together.
    assert written == [1, 3]
    seated = [o for o in outcomes if not isinstance(o, BaseException)]
    assert [o.seat.player_id for o in seated] == [p1, p2, p3, p4, p3]
    assert isinstance(outcomes[4], IllegalTransition)
    assert "one bet a round" in str(outcomes[4])
    assert outcomes[5].receipt.replayed  # the twin of p3's bet is that bet
    assert outcomes[5].seat == outcomes[2].seat
    assert [await w.balance(p) for p in (p1, p2, p3, p4)] == [900, 900, 900, 900]
    async with w.db() as uow:
        assert len(await uow.crash.seats(1)) == 4


async def test_a_batch_of_crash_bets_stops_at_the_bankroll_share() -> None:
    w = World()
    players = [await w.player(i) for i in (1, 2, 3)]
    bankroll = 3 * 10**6  # each World.player funds the bankroll with 10**6
    # the round may owe 200 Stars beyond its stakes: two bets at 2x, not three
    share = CrashPolicy(bankroll_share=Fraction(200, bankroll))
    place = PlaceRoundBet(w.db, w.clock, w.ids, w.house, FixedSeeds(), policy=share)
    await w.driver().step()
    ids = [uuid.UUID(int=n) for n in range(1, 4)]
    commands = [
        PlaceRoundBetCommand(p, i, Money(100, XTR), {"target": "2"})
        for p, i in zip(players, ids, strict=True)
    ]
    outcomes = await asyncio.gather(*(place(c) for c in commands), return_exceptions=True)
    assert [type(o).__name__ for o in outcomes] == [
        "RoundBetReceipt",
        "RoundBetReceipt",
        "LimitExceeded",
    ]
    assert [await w.balance(p) for p in players] == [900, 900, 1000]


async def test_cash_outs_that_arrive_together_share_one_write_at_one_multiplier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.fake_crash import FakeCrashRounds

    recorded: list[int] = []
    record = FakeCrashRounds.record_cash_outs

    async def counted(self: FakeCrashRounds, cash_outs: dict[uuid.UUID, CashOut]) -> None:
        recorded.append(len(cash_outs))
        await record(self, cash_outs)

    monkeypatch.setattr(FakeCrashRounds, "record_cash_outs", counted)
    w = World()
    driver = w.driver()
    await driver.step()
    players = [await w.player(i) for i in (1, 2, 3, 4)]
    bets = [await w.place(_bet(p)) for p in players]
    w.clock.advance(seconds=5)
    await driver.step()
    w.clock.advance(milliseconds=ms_to_reach(150))
    commands = [CashOutCommand(p, b.seat.bet_id) for p, b in zip(players, bets, strict=True)]
    stranger = CashOutCommand(players[0], bets[1].seat.bet_id)  # someone else's bet
    outcomes = await asyncio.gather(
        *(w.cash_out(c) for c in (*commands, commands[2], stranger)), return_exceptions=True
    )
    assert recorded == [1, 3]  # the first went alone; the others together, the twin after
    assert isinstance(outcomes[5], NotFound)
    assert [o.multiplier for o in outcomes[:5]] == [150] * 5
    assert [o.receipt.replayed for o in outcomes[:5]] == [False] * 4 + [True]
    assert [await w.balance(p) for p in players] == [1050] * 4


async def test_group_commit_answers_each_caller_and_fails_a_whole_batch_only_to_its_callers() -> (
    None
):
    batches: list[list[int]] = []

    async def run(batch: list[int]) -> list[int | DomainError]:
        batches.append(batch)
        if 0 in batch:
            raise RuntimeError("the batch's own failure")
        return [n * 10 if n % 2 else IllegalTransition(f"{n} is even") for n in batch]

    group: GroupCommit[int, int] = GroupCommit(run, batch_size=2, batches=1)
    outcomes = await asyncio.gather(*(group(n) for n in (1, 3, 4, 0, 5)), return_exceptions=True)
    assert batches == [[1], [3, 4], [0, 5]]  # alone while free, then as many as fit
    assert outcomes[:2] == [10, 30]
    assert isinstance(outcomes[2], IllegalTransition)
    assert [type(o) for o in outcomes[3:]] == [RuntimeError, RuntimeError]
    with pytest.raises(ValueError, match="batch_size"):
        GroupCommit(run, batch_size=0, batches=1)
