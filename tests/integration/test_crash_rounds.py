"""Crash rounds on the real PostgreSQL: a round's bets on the one road, cash-outs by the
database's clock, the driver's settlement, the bankroll share, recovery after the driver is
lost, the leader lock, and the chain's secrets kept from the services.

Over 400 lines on purpose: every test here shares the `crash` fixture (a chain committed for the
test, the use cases on the real database) and the round helpers above it; the batch road's races
(place_round_bets, grouped cash-outs on two instances) belong with the rounds they race on."""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.postgres.crash import SqlLeaderLock
from adapters.postgres.crash_chain import commit_chain, set_salt
from adapters.postgres.errors import sqlstate
from adapters.postgres.reconcile import SqlBooksAudit
from adapters.postgres.reports import SqlReports
from application.betting import PlaceBetCommand
from application.crash import (
    CashOutCommand,
    CashOutRoundBet,
    CrashDriver,
    CrashPolicy,
    GetRound,
    PlaceRoundBet,
    PlaceRoundBetCommand,
    SettleCrashedRound,
)
from application.reconciliation import Reconcile
from domain.bets import BetState
from domain.crash import crash_point, first_link, hash_forward, ms_to_reach
from domain.crash_rounds import RoundPhase
from domain.errors import IllegalTransition, InvalidField, LimitExceeded, NotFound
from domain.money import XTR, Money
from domain.outcome_tests import theoretical_bins
from domain.reports import ReportPeriod, ReportScope
from tests.crash_cleanup import finish_every_round
from tests.integration.outbox_rows import rows_of_aggregate

pytestmark = pytest.mark.usefixtures("books")

SALT = "0000000000000000000301e2801a9a9598bfb114e574a91a887f2132f33047e6"
LENGTH = 1  # one round a chain: a test's driver opens no round it does not finish
# A betting window no loaded machine runs out while a test places its bets (a 0.6 s one did, at
# load average 10): each test closes it by hand (`end_betting`) when its bets are in.
FAST = CrashPolicy(betting_seconds=120, watch=0.02, recovery_grace=5.0, lock_poll=0.05)


def _secret(low: int, high: int) -> tuple[bytes, int]:
    """A secret whose first round crashes between low and high (hundredths), so a test knows
    its round's crash point and waits seconds, not minutes."""
    for i in itertools.count(secrets.randbelow(10**12)):
        secret = f"crash-integration-secret-{i}".encode()
        point = crash_point(hash_forward(first_link(secret), LENGTH - 1), SALT)
        if low <= point <= high:
            return secret, point
    raise AssertionError("unreachable")  # pragma: no cover


@pytest.fixture
def crash(engine, uow_factory, clock, ids, house, seed_source):
    """The use cases on the real database, and a chain committed for the test."""

    class Crash:
        policy = FAST
        place = PlaceRoundBet(uow_factory, clock, ids, house, seed_source, policy=FAST)
        cash_out = CashOutRoundBet(uow_factory, clock, ids, house)
        get = GetRound(uow_factory)

        @staticmethod
        def driver(policy: CrashPolicy = FAST) -> CrashDriver:
            settle = SettleCrashedRound(uow_factory, clock, ids, house)
            return CrashDriver(uow_factory, clock, SqlLeaderLock(engine), settle, policy)

        @staticmethod
        async def end_betting() -> None:
            """Ends the betting phase now (PostgreSQL's clock), as bench/crash_load.py does."""
            async with engine.begin() as conn:
                await conn.execute(
                    text("UPDATE crash_rounds SET betting_ends_at = now() WHERE phase = 'betting'")
                )

        @staticmethod
        async def chain(low: int = 125, high: int = 135) -> int:
            await Crash.finish_leftovers()
            secret, point = _secret(low, high)
            async with engine.begin() as conn:
                committed = await commit_chain(conn, LENGTH, checkpoint_every=3, secret=secret)
                await set_salt(conn, committed.id, SALT)
            Crash.secret = secret
            return point

        @staticmethod
        async def finish_leftovers() -> None:
            await finish_every_round(
                uow_factory, SettleCrashedRound(uow_factory, clock, ids, house)
            )

    return Crash


async def _until(
    driver: CrashDriver, phase: RoundPhase, get: GetRound, round_id: int, limit: float = 30
):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while loop.time() < deadline:
        view = await get(round_id)
        if view.round.phase is phase:
            return view.round
        await asyncio.sleep(await driver.step())
    raise AssertionError(f"no round reached {phase}")


def _bet(player_id: int, stake: int, **params: str) -> PlaceRoundBetCommand:
    return PlaceRoundBetCommand(player_id, uuid.uuid4(), Money(stake, XTR), params)


async def test_a_round_from_betting_to_crash(crash, funded_player, balances, place, engine):
    point = await crash.chain()
    driver = crash.driver()
    await driver.step()  # opens the round
    round_ = (await crash.get()).round
    assert round_.phase is RoundPhase.BETTING
    assert round_.round_hash is None
    players = [await funded_player(1000) for _ in range(4)]
    reached = await crash.place(_bet(players[0].id, 100, target="1.10"))
    manual = await crash.place(_bet(players[1].id, 100))
    too_high = await crash.place(_bet(players[2].id, 100, target="50"))
    rider = await crash.place(_bet(players[3].id, 100))
    assert reached.round.id == round_.id
    assert reached.receipt.balance == Money(900, XTR)
    # the same press again is the same bet; a second bet in the round is refused
    again = await crash.place(
        PlaceRoundBetCommand(
            players[0].id, reached.seat.bet_id, Money(100, XTR), {"target": "1.10"}
        )
    )
    assert again.receipt.replayed
    with pytest.raises(IllegalTransition, match="one bet a round"):
        await crash.place(_bet(players[0].id, 50))
    # crash bets go through rounds only
    with pytest.raises(InvalidField, match="crash round"):
        await place(PlaceBetCommand(players[0].id, uuid.uuid4(), "crash", Money(10, XTR)))
    with pytest.raises(IllegalTransition, match="not started"):
        await crash.cash_out(CashOutCommand(players[1].id, manual.seat.bet_id))
    with pytest.raises(NotFound):  # someone else's bet
        await crash.cash_out(CashOutCommand(players[0].id, manual.seat.bet_id))

    await crash.end_betting()
    running = await _until(driver, RoundPhase.RUNNING, crash.get, round_.id)
    with pytest.raises(IllegalTransition, match="no crash round is taking bets"):
        await crash.place(_bet(players[0].id, 10))
    cashed = await crash.cash_out(CashOutCommand(players[1].id, manual.seat.bet_id))
    assert 100 <= cashed.multiplier < point
    assert cashed.receipt.bet.state is BetState.WON
    repeat = await crash.cash_out(CashOutCommand(players[1].id, manual.seat.bet_id))
    assert repeat.receipt.replayed
    assert repeat.multiplier == cashed.multiplier

    crashed = await _until(driver, RoundPhase.CRASHED, crash.get, round_.id)
    assert crashed.crash_point == point
    assert crashed.round_hash == hash_forward(first_link(crash.secret), LENGTH - 1)
    assert crashed.crashed_at == running.started_at + timedelta(milliseconds=ms_to_reach(point))
    late = await crash.cash_out(CashOutCommand(players[1].id, manual.seat.bet_id))
    assert late.receipt.replayed  # the first cash-out, still
    with pytest.raises(IllegalTransition, match="already lost"):
        await crash.cash_out(CashOutCommand(players[3].id, rider.seat.bet_id))
    assert await balances(players[0].id) == (Money(1010, XTR),)  # 1.10x
    assert await balances(players[1].id) == (Money(900 + cashed.multiplier, XTR),)
    assert await balances(players[2].id) == (Money(900, XTR),)
    assert await balances(players[3].id) == (Money(900, XTR),)
    assert driver.stats.interrupted == 0
    assert too_high.receipt.bet.state is BetState.PLACED  # as placed; lost at the crash

    # The round's steps and the cash-out are in the outbox, like every other event.
    steps = await rows_of_aggregate(engine, "crash_round", round_.id)
    assert [(r.type, r.sequence) for r in steps] == [
        ("crash.round_opened", 1),
        ("crash.round_started", 2),
        ("crash.round_crashed", 3),
    ]
    assert steps[0].payload["round_hash"] is None
    assert steps[1].payload["started_at"] is not None
    assert steps[1].payload["round_hash"] is None  # secret until the crash
    assert steps[2].payload["round_hash"] == crashed.round_hash
    assert steps[2].payload["crash_point"] == f"{point // 100}.{point % 100:02d}"
    assert steps[2].payload["number"] == crashed.number
    (cash,) = await rows_of_aggregate(engine, "crash_seat", manual.seat.bet_id)
    assert (cash.type, cash.sequence, cash.player_ids) == ("crash.cashed_out", 1, [players[1].id])
    assert cash.payload["round_id"] == round_.id
    assert cash.payload["multiplier"] == f"{cashed.multiplier // 100}.{cashed.multiplier % 100:02d}"


async def test_a_round_refuses_bets_past_its_bankroll_share(
    crash, funded_player, engine, uow_factory, clock, ids, house, seed_source
):
    await crash.chain()
    driver = crash.driver()
    await driver.step()
    first, second = await funded_player(10_000), await funded_player(10_000)
    bankroll = await _bankroll(engine)
    # a share that lets this round owe exactly 1,000 Stars beyond its stakes
    policy = replace(FAST, bankroll_share=Fraction(1000, int(bankroll)))
    place = PlaceRoundBet(uow_factory, clock, ids, house, seed_source, policy=policy)
    fitting = await place(_bet(first.id, 1000, target="2"))
    assert fitting.seat.exposure == 1000  # the limit, exactly
    with pytest.raises(LimitExceeded, match="this crash round can pay out at most 1000"):
        await place(_bet(second.id, 100, target="1.01"))  # one Star more: refused, not capped
    async with engine.connect() as conn:
        seats = (
            await conn.execute(
                text("SELECT count(*) FROM crash_bets WHERE player_id = :p"), {"p": second.id}
            )
        ).scalar_one()
    assert seats == 0
    assert await balances_of(uow_factory, second.id) == 10_000
    await crash.finish_leftovers()


async def _bankroll(engine) -> int:
    async with engine.connect() as conn:
        total = await conn.execute(
            text(
                "SELECT sum(balance) FROM accounts WHERE kind = 'house_bankroll'"
                " AND currency = 'XTR' AND player_id IS NULL"
            )
        )
        return int(total.scalar_one())


async def balances_of(uow_factory, player_id: int) -> int:
    async with uow_factory() as uow:
        wallet = await uow.accounts.wallet(player_id, XTR)
    return wallet.balance


async def test_a_round_whose_driver_died_is_finished_by_the_next(
    crash, funded_player, balances, engine, uow_factory, cipher
):
    point = await crash.chain(118, 124)  # 2.8 to 3.6 seconds
    first = crash.driver()
    await first.step()
    players = [await funded_player(1000) for _ in range(3)]
    reached = await crash.place(_bet(players[0].id, 100, target="1.05"))
    manual = await crash.place(_bet(players[1].id, 100))
    riding = await crash.place(_bet(players[2].id, 100, target="100"))
    round_id = manual.round.id
    await crash.end_betting()
    await _until(first, RoundPhase.RUNNING, crash.get, round_id)
    cashed = await crash.cash_out(CashOutCommand(players[1].id, manual.seat.bet_id))
    # the first driver is gone; the next one did not see the round through
    await asyncio.sleep(ms_to_reach(point) / 1000)
    second = crash.driver()
    crashed = await _until(second, RoundPhase.CRASHED, crash.get, round_id)
    assert crashed.crash_point == point
    assert second.stats.interrupted == 1
    assert await balances(players[0].id) == (Money(1005, XTR),)  # its target was reached
    assert await balances(players[1].id) == (Money(900 + cashed.multiplier, XTR),)  # stands
    assert await balances(players[2].id) == (Money(1000, XTR),)  # refunded
    assert (await crash.get(round_id)).round.crash_point == point
    # the outcome monitor counts the round's crash point, not its bets' cash-outs
    today = datetime.now(UTC).date()
    period = ReportPeriod(today - timedelta(days=1), today + timedelta(days=1))
    edges = [b.low for b in theoretical_bins("crash")]
    counts = await SqlReports(engine).outcome_counts(
        period, ReportScope(None, None), {"crash": edges}
    )
    bin_of_point = max(i for i, low in enumerate(edges) if low <= point)
    assert counts["crash"][bin_of_point] >= 1
    # reconcile recomputes the round (hash to the chain's end, crash point) and its bets
    audit = SqlBooksAudit(engine, uow_factory.currencies, cipher)
    report = await Reconcile(audit)()
    assert [d for d in report.discrepancies if "crash" in d.check] == []
    del reached, riding


async def test_one_driver_holds_the_lock_and_another_takes_over(engine):
    first, second = SqlLeaderLock(engine), SqlLeaderLock(engine)
    async with first.claim() as held:
        assert held
        assert await first.still_held()
        async with second.claim() as also:
            assert not also
    async with second.claim() as held:
        assert held


async def test_a_driver_sleeping_until_each_deadline_settles_its_round_on_time(crash, engine):
    """No polling tick on the real database: with a watch far longer than the round, the
    running driver wakes for the betting end and for the crash time themselves."""
    await crash.chain(105, 115)
    async with engine.connect() as conn:
        ours, before = (
            await conn.execute(
                text(
                    "SELECT (SELECT max(id) FROM crash_chains), (SELECT max(id) FROM crash_rounds)"
                )
            )
        ).one()
    driver = crash.driver(replace(FAST, betting_seconds=0.5, watch=60))
    stop = asyncio.Event()
    task = asyncio.create_task(driver.run(stop))
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30  # half the watch: a driver waiting out its watch fails
        while driver.stats.crashed == 0:
            assert loop.time() < deadline, "the round was not settled within half the watch"
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
    # Having settled its round, the driver opens the next round in the same step: of another
    # chain when one in this worker's database has rounds left (the door matrix leaves one of
    # 10,000), before `stop` is seen. So every round it opened is counted: one of this test's
    # chain, and at most that one more.
    async with engine.connect() as conn:
        mine, others = (
            await conn.execute(
                text(
                    "SELECT count(*) FILTER (WHERE chain_id = :ours),"
                    " count(*) FILTER (WHERE chain_id <> :ours)"
                    " FROM crash_rounds WHERE id > coalesce(:before, 0)"
                ),
                {"ours": ours, "before": before},
            )
        ).one()
    assert (mine, others) in ((1, 0), (1, 1))
    assert driver.stats.opened == mine + others
    assert (driver.stats.started, driver.stats.crashed) == (1, 1)
    assert driver.stats.interrupted == 0
    (lag,) = driver.stats.lags_ms
    assert 0 <= lag < FAST.recovery_grace * 1000


async def test_the_services_never_see_a_round_hash_before_it_starts(crash, uow_factory):
    await crash.chain()
    driver = crash.driver()
    await driver.step()
    betting = (await crash.get()).round
    async with uow_factory() as uow:
        with pytest.raises(IllegalTransition, match="has not started"):
            await uow.crash.round_hash(betting.id)
    await crash.finish_leftovers()


# Every other argument empty (revision 0066: the rows as arrays, the new pairs and bets JSON).
_ROUND_WRITE = text(
    "SELECT place_round_bets(CAST(:round AS jsonb), '{}', '{}', '{}', '{}', '{}', '{}', '{}',"
    " '{}', '[]', '[]', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}',"
    " '{}', '{}', '{}', '{}', '500ms', '50ms')"
)


async def test_place_round_bets_seats_only_while_the_round_takes_them_and_fits(
    crash, funded_player, engine
):
    """The batch road's write (revision 0030) on its own: its seats, no bets."""
    await crash.chain()
    await crash.driver().step()
    round_id = (await crash.get()).round.id
    a, b, c = [(await funded_player(1000)).id for _ in range(3)]

    async def write(player: int, exposure: int, limit: int) -> str | None:
        seat = {"bet_id": str(uuid.uuid4()), "player_id": player, "currency": "XTR"}
        seat |= {"target": None, "exposure": exposure}
        arg = {"id": round_id, "seats": [seat], "limits": {"XTR": limit}}
        try:
            async with engine.begin() as conn:
                await conn.execute(_ROUND_WRITE, {"round": json.dumps(arg)})
        except DBAPIError as error:
            return sqlstate(error)
        return None

    assert await write(a, 100, limit=100) is None
    assert await write(a, 1, limit=10**9) == "CR412"  # one seat a player, round and currency
    assert await write(b, 1, limit=100) == "CR412"  # 101 > 100: the round's exposure
    assert await write(b, 1, limit=101) is None
    async with engine.begin() as conn:  # betting ends (the tests are the schema's owner)
        await conn.execute(
            text("UPDATE crash_rounds SET betting_ends_at = now() WHERE id = :r"), {"r": round_id}
        )
    assert await write(c, 1, limit=10**9) == "CR412"  # by PostgreSQL's clock
    async with engine.connect() as conn:
        seated = await conn.execute(
            text("SELECT player_id, exposure FROM crash_bets WHERE round_id = :r ORDER BY 1"),
            {"r": round_id},
        )
        assert [tuple(row) for row in seated] == [(a, 100), (b, 1)]
    await crash.finish_leftovers()


async def test_two_instances_batching_crash_bets_keep_one_seat_and_the_share(
    crash, funded_player, engine, uow_factory, clock, ids, house, seed_source
):
    """Two instances (two `PlaceRoundBet`s, each batching its callers) take twelve players'
    bets at once, each player betting on both: one seat a player, and a share that lets ten
    bets through lets exactly ten, however the batches meet."""
    await crash.chain()
    players = [(await funded_player(1000)).id for _ in range(12)]
    bankroll = await _bankroll(engine)
    # ten bets at 2x; betting long enough for a loaded machine
    policy = replace(FAST, bankroll_share=Fraction(1000, int(bankroll)), betting_seconds=30)
    settle = SettleCrashedRound(uow_factory, clock, ids, house)
    await CrashDriver(uow_factory, clock, SqlLeaderLock(engine), settle, policy).step()
    first, second = (
        PlaceRoundBet(uow_factory, clock, ids, house, seed_source, policy=policy, batches=2)
        for _ in range(2)
    )
    calls = [place(_bet(p, 100, target="2")) for p in players for place in (first, second)]
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    placed = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert all(isinstance(o, IllegalTransition | LimitExceeded) for o in refused), refused
    assert len(placed) == 10
    assert len({o.seat.player_id for o in placed}) == 10
    async with engine.connect() as conn:
        seats = await conn.execute(
            text("SELECT player_id, exposure FROM crash_bets WHERE round_id = :r"),
            {"r": placed[0].round.id},
        )
        rows = list(seats)
    assert sorted(player for player, _ in rows) == sorted(o.seat.player_id for o in placed)
    assert sum(exposure for _, exposure in rows) == 1000
    seated = {o.seat.player_id for o in placed}
    for player in players:
        assert await balances_of(uow_factory, player) == (900 if player in seated else 1000)
    await crash.finish_leftovers()


async def test_cash_outs_racing_on_two_instances_pay_each_bet_exactly_once(
    crash, funded_player, uow_factory, clock, ids, house
):
    """Every bet cashed out four times at once, twice on each of two instances (each batching
    its callers, so twins meet in one batch and across batches): one pays, the rest replay it."""
    await crash.chain(300, 400)  # 18 s or more to cash out in
    players = [(await funded_player(1000)).id for _ in range(8)]
    driver = crash.driver()
    await driver.step()
    bets = await asyncio.gather(*(crash.place(_bet(p, 100)) for p in players))
    await crash.end_betting()
    await _until(driver, RoundPhase.RUNNING, crash.get, bets[0].round.id)
    first, second = (CashOutRoundBet(uow_factory, clock, ids, house, batches=2) for _ in range(2))
    calls = [
        cash_out(CashOutCommand(b.seat.player_id, b.seat.bet_id))
        for b in bets
        for cash_out in (first, second, first, second)
    ]
    outcomes = await asyncio.gather(*calls)
    for n, placed in enumerate(bets):
        mine = outcomes[4 * n : 4 * n + 4]
        assert sum(not o.receipt.replayed for o in mine) == 1
        assert len({o.multiplier for o in mine}) == 1
        paid = mine[0].multiplier
        assert await balances_of(uow_factory, placed.seat.player_id) == 900 + paid
    async with uow_factory() as uow:
        seats = await uow.crash.seats(bets[0].round.id)
    assert all(seat.cash_out is not None for seat in seats)
    await crash.finish_leftovers()
