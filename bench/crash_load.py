"""One crash round under load: 1,000 players bet on it, then all 1,000 cash out at once, straight
through the use cases (`PlaceRoundBet`, `CashOutRoundBet`) on an embedded PostgreSQL of its own
(bench/.data/crash, fsync on), with the round driver running beside them in the same process.

Prints bets/s and cash-outs/s (wall clock, noisy on a shared machine), CPU milliseconds per bet
and per cash-out of this process and of PostgreSQL (process counters, steadier), the driver's
lag (how long after its crash time the round was settled) and the event loop's worst stall
while the load ran, then reconciles the books (ledger invariants, every crash round and bet
recomputed):

    .venv/bin/python bench/crash_load.py --players 1000 --in-flight 1000

The figures are the ones quoted in bench/README.md ("Crash: one round under load")."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from fractions import Fraction
from pathlib import Path

import psutil
from sqlalchemy import text

from adapters.clock import SystemClock
from adapters.embedded_servers import ensure_database, ensure_postgres, stop_postgres
from adapters.ids import UuidV7Generator
from adapters.personal_data import PersonalDataCipher
from adapters.postgres import migrate
from adapters.postgres.crash import SqlLeaderLock
from adapters.postgres.crash_chain import commit_chain, set_salt
from adapters.postgres.engine import create_engine
from adapters.postgres.reconcile import SqlBooksAudit, reconcile
from adapters.postgres.uow import start_unit_of_work_factory
from adapters.seed_cipher import SecretsSeedSource, SeedCipher
from application.bankroll import FundBankroll, FundBankrollCommand
from application.crash import (
    CashOutCommand,
    CashOutRoundBet,
    CrashDriver,
    CrashPolicy,
    PlaceRoundBet,
    PlaceRoundBetCommand,
    SettleCrashedRound,
)
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.reconciliation import Reconcile
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.crash import crash_point, first_link
from domain.crash_rounds import RoundPhase
from domain.money import XTR, Money

DATA = Path(__file__).resolve().parent / ".data" / "crash"
SALT = "bench"


def _postgres_cpu() -> float:
    postmaster = psutil.Process(int((DATA / "pgdata" / "postmaster.pid").read_text().split()[0]))
    total = 0.0
    for process in (postmaster, *postmaster.children(recursive=True)):
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def _own_cpu() -> float:
    times = psutil.Process().cpu_times()
    return times.user + times.system


async def _burst(n: int, in_flight: int, one: Callable[[int], Awaitable[None]]) -> float:
    """Run `one(i)` for i < n, `in_flight` at a time; the wall seconds it took."""
    slots = asyncio.Semaphore(in_flight)

    async def run(i: int) -> None:
        async with slots:
            await one(i)

    start = time.perf_counter()
    await asyncio.gather(*(run(i) for i in range(n)))
    return time.perf_counter() - start


async def _stalls(stop: asyncio.Event, worst: list[float]) -> None:
    """The event loop's worst lateness waking from a 10 ms sleep (the driver's loop shares it)."""
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.01)
        worst[0] = max(worst[0], time.perf_counter() - start - 0.01)


async def _until(done: Callable[[], bool]) -> None:
    """Wait for the driver (in this process) to have done something; it keeps counts only."""
    while not done():  # noqa: ASYNC110 - the driver's counters are plain numbers
        await asyncio.sleep(0.005)


async def main(args: argparse.Namespace) -> None:
    url = ensure_database(ensure_postgres(DATA), "crash", recreate=True)
    migrate.upgrade(url)
    # Callers beyond the pool wait for a connection, as a service's requests would.
    engine = create_engine(url, pool_size=args.pool)
    clock, ids, house = SystemClock(), UuidV7Generator(), HouseBook(16)
    cipher = SeedCipher(secrets.token_bytes(32))
    uow = await start_unit_of_work_factory(
        engine, house.shards, cipher, PersonalDataCipher.generated()
    )
    await FundBankroll(uow, clock, ids, house)(
        FundBankrollCommand(Money(10**12, XTR), "bench", "fund")
    )
    register, credit = RegisterPlayer(uow, clock), CreditDeposit(uow, clock, ids, house)
    players: list[int] = []
    for n in range(args.players):
        made = await register(
            RegisterPlayerCommand(7_000_000 + n, currencies=(XTR,), accept_terms=True)
        )
        await credit(CreditDepositCommand(made.player.id, Money(10_000, XTR), f"bench-{n}"))
        players.append(made.player.id)
    for i in itertools.count():  # a round long enough to cash everyone out: 3x-5x, 18-27 s
        secret = f"bench-crash-{i:012d}".encode()
        if 300 <= crash_point(first_link(secret), SALT) <= 500:
            break
    async with engine.begin() as conn:
        chain = await commit_chain(conn, 1, secret=secret)
        await set_salt(conn, chain.id, SALT)
    policy = CrashPolicy(betting_seconds=3600, bankroll_share=Fraction(1), watch=0.02)
    place = PlaceRoundBet(
        uow,
        clock,
        ids,
        house,
        SecretsSeedSource(),
        policy=policy,
        batch_size=args.batch_size,
        batches=args.batches,
    )
    cash_out = CashOutRoundBet(uow, clock, ids, house)
    driver = CrashDriver(
        uow, clock, SqlLeaderLock(engine), SettleCrashedRound(uow, clock, ids, house), policy
    )
    stop, worst = asyncio.Event(), [0.0]
    driving = asyncio.create_task(driver.run(stop))
    watching = asyncio.create_task(_stalls(stop, worst))
    await _until(lambda: driver.stats.opened > 0)
    bet_ids = [uuid.uuid4() for _ in players]

    async def bet(i: int) -> None:
        await place(PlaceRoundBetCommand(players[i], bet_ids[i], Money(100, XTR), {}))

    cpu, pg = _own_cpu(), _postgres_cpu()
    bets_s = await _burst(len(players), args.in_flight, bet)
    bet_cpu, bet_pg = _own_cpu() - cpu, _postgres_cpu() - pg
    async with engine.begin() as conn:  # betting ends now (the bench is the schema's owner)
        await conn.execute(
            text("UPDATE crash_rounds SET betting_ends_at = now() WHERE phase = 'betting'")
        )
    await _until(lambda: driver.stats.started > 0)

    async def out(i: int) -> None:
        await cash_out(CashOutCommand(players[i], bet_ids[i]))

    cpu, pg = _own_cpu(), _postgres_cpu()
    outs_s = await _burst(len(players), args.in_flight, out)
    out_cpu, out_pg = _own_cpu() - cpu, _postgres_cpu() - pg
    await _until(lambda: driver.stats.crashed > 0)
    stop.set()
    await asyncio.gather(driving, watching)
    async with engine.connect() as conn:
        ledger = await reconcile(conn)
        phases = (await conn.execute(text("SELECT phase FROM crash_rounds"))).scalars().all()
    report = await Reconcile(SqlBooksAudit(engine, uow.currencies, cipher))()
    n = len(players)
    rows = [
        ("bets", bets_s, bet_cpu, bet_pg),
        ("cash-outs", outs_s, out_cpu, out_pg),
    ]
    print(
        f"players {n}, in flight {args.in_flight}, pool {args.pool},"
        f" batches {args.batches} x {args.batch_size}"
    )
    print("| | count | wall s | per s | CPU ms/op, bench process | CPU ms/op, PostgreSQL |")
    print("|---|---|---|---|---|---|")
    for name, wall, own, postgres in rows:
        print(
            f"| {name} | {n} | {wall:.2f} | {n / wall:.0f} | {own / n * 1000:.2f}"
            f" | {postgres / n * 1000:.2f} |"
        )
    print(f"driver lag at the crash (ms after its crash time): {driver.stats.lags_ms}")
    print(f"worst event-loop stall while the load ran: {worst[0] * 1000:.0f} ms")
    print(f"rounds {phases}; interrupted {driver.stats.interrupted}")
    print(f"reconcile: ledger {len(ledger)} problem(s);", end=" ")
    print(f"crash rounds and bets {len(report.discrepancies)} discrepancy(ies)")
    assert all(p == RoundPhase.CRASHED.value for p in phases)
    await engine.dispose()
    if args.stop:
        stop_postgres(DATA)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=1000)
    parser.add_argument(
        "--in-flight", type=int, default=1000, help="concurrent callers (1,000 players at once)"
    )
    parser.add_argument("--pool", type=int, default=40, help="database connections")
    parser.add_argument("--batch-size", type=int, default=64, help="CROUPIER_BET_BATCH_SIZE")
    parser.add_argument("--batches", type=int, default=1, help="CROUPIER_BET_BATCHES")
    parser.add_argument("--stop", action="store_true", help="stop the embedded PostgreSQL after")
    asyncio.run(main(parser.parse_args()))
