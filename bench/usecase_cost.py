"""What one bet costs in CPU, the service's and PostgreSQL's, without gRPC in the way.

Places provably fair `coin` bets straight through the use cases on an embedded PostgreSQL of
its own (bench/.data/usecase, fsync on), after giving every player a seed pair, and prints
bets/s and CPU milliseconds per bet of this process and of all PostgreSQL processes:

    .venv/bin/python bench/usecase_cost.py single --bets 1000 --in-flight 1
    .venv/bin/python bench/usecase_cost.py batch --batch 32 --batches 20
    .venv/bin/python bench/usecase_cost.py batch --batch 32 --batches 20 --hot

`--function-time` also prints the calls of the ledger's posting functions and the time spent in
them per bet (PostgreSQL's `track_functions`: wall time, so a loaded machine inflates it).
`single` is `PlaceBet` (the path of a bet placed alone), `batch` is `PlaceBets` (one batch at
a time). The figures are the ones quoted in bench/README.md.

Its database is new every run and its tables are planned while small: until autovacuum's first
ANALYZE (after the run, as a rule) `placement_snapshot` looks the batch's bet ids up by
scanning `bets` whole, so PostgreSQL's CPU a bet at small batches grows with the run's length
(batches of one: 1.15 ms a bet over 1,000, 1.26 over 4,000). `--sql "ALTER DATABASE usecase
SET enable_seqscan = off"` reads it on index plans, as a large analysed database is planned:
1.07 and 1.06 (bench/README.md, 2026-12-05)."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import secrets
import time
import timeit
import uuid
from pathlib import Path
from typing import Any

import psutil
from exported import SOURCE_ENV, reexec_on
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.clock import SystemClock
from adapters.embedded_servers import ensure_database, ensure_postgres, stop_postgres
from adapters.ids import UuidV7Generator
from adapters.personal_data import PersonalDataCipher
from adapters.postgres import migrate
from adapters.postgres.engine import create_engine
from adapters.postgres.uow import start_unit_of_work_factory
from adapters.seed_cipher import SecretsSeedSource, SeedCipher
from application.bankroll import FundBankroll, FundBankrollCommand
from application.betting import BetReceipt, PlaceBet, PlaceBetCommand, PlaceBets
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.money import XTR, Money

DATA = Path(__file__).resolve().parent / ".data" / "usecase"


def _postgres_cpu() -> float:
    """CPU seconds of this bench's own server: its postmaster and every child (backends,
    writers), not the other PostgreSQL servers a shared machine may be running."""
    postmaster = psutil.Process(int((DATA / "pgdata" / "postmaster.pid").read_text().split()[0]))
    total = 0.0
    for process in (postmaster, *postmaster.children(recursive=True)):
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


_FUNCTION_STATS = text(
    "SELECT coalesce(sum(calls), 0), coalesce(sum(total_time), 0) FROM pg_stat_user_functions"
    " WHERE funcname LIKE 'ledger\\_post%'"
)
# Every function of the betting write, one line each (`--function-time`).
_EACH_FUNCTION = text(
    "SELECT funcname, calls, total_time, self_time FROM pg_stat_user_functions"
    " WHERE funcname IN ('place_bets', 'ledger_post_many', 'ledger_post', 'outbox_append',"
    " 'outbox_append_envelopes')"
    " ORDER BY funcname"
)


async def _each_function(engine: AsyncEngine) -> dict[str, tuple[int, float, float]]:
    """Calls, total and self milliseconds of each function of the betting write."""
    await engine.dispose()
    await asyncio.sleep(0.5)
    async with engine.connect() as conn:
        rows = (await conn.execute(_EACH_FUNCTION)).all()
    return {name: (int(c), float(t), float(o)) for name, c, t, o in rows}


_STATEMENTS = text(
    "SELECT calls, total_exec_time, query FROM pg_stat_statements s"
    " JOIN pg_database d ON d.oid = s.dbid AND d.datname = 'usecase'"
    " ORDER BY total_exec_time DESC LIMIT 40"
)


async def _statements(engine: AsyncEngine, reset: bool) -> list[tuple[int, float, str]]:
    """pg_stat_statements of the bench database (`--statements`: the server must preload it,
    with `pg_stat_statements.track = all` to see the statements inside the functions)."""
    async with engine.connect() as conn:
        await conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
        if reset:
            await conn.execute(text("SELECT pg_stat_statements_reset()"))
            await conn.commit()
            return []
        rows = (await conn.execute(_STATEMENTS)).all()
    return [(int(c), float(t), str(q)) for c, t, q in rows]


async def _function_stats(engine: AsyncEngine) -> tuple[int, float]:
    """Calls of the posting functions and milliseconds in them, as the server's cumulative
    statistics hold them once every connection that called them has ended (and flushed)."""
    await engine.dispose()
    await asyncio.sleep(0.5)
    async with engine.connect() as conn:
        calls, total = (await conn.execute(_FUNCTION_STATS)).one()
    return int(calls), float(total)


async def _wal_position(engine: AsyncEngine) -> int:
    """The server's WAL insert position in bytes: the difference over the bets is what they
    wrote (their rows, index entries, locks; nothing else writes on this bench's own server,
    but for the checkpointer's and autovacuum's rare records)."""
    async with engine.connect() as conn:
        lsn = (await conn.execute(text("SELECT pg_current_wal_lsn() - '0/0'"))).scalar_one()
    return int(lsn)


def _coin(player_id: int) -> PlaceBetCommand:
    return PlaceBetCommand(player_id, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"})


def _record_writes() -> tuple[list[Any], Any]:
    # The snapshot road's writes, as the use case hands them to the adapter, kept to time the
    # building of `place_bets`' arguments alone afterwards (in-process, no database).
    from adapters.postgres import snapshot_placements

    writes: list[Any] = []
    build = snapshot_placements._write_args

    def recording(write: Any, cipher: Any) -> Any:
        writes.append((write, cipher))
        return build(write, cipher)

    snapshot_placements._write_args = recording  # type: ignore[assignment]
    return writes, build


def _time_writes(writes: list[Any], build: Any) -> None:
    sample = writes[-100:]
    best = min(timeit.timeit(lambda: [build(w, c) for w, c in sample], number=20) for _ in range(5))
    bets = sum(len(w.bets) for w, _ in sample)
    per_call = best / (20 * len(sample)) * 1e6
    print(
        f"_write_args: {per_call:.1f} µs a call, {per_call * len(sample) / bets:.1f} µs a bet"
        f" (best of 5 × 20 passes over the last {len(sample)} writes)"
    )


async def main(args: argparse.Namespace) -> None:
    url = ensure_database(ensure_postgres(DATA), "usecase", recreate=True)
    migrate.upgrade(url)
    engine = create_engine(url)
    for statement in args.sql:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    if args.function_time:
        async with engine.begin() as conn:
            await conn.execute(text("ALTER DATABASE usecase SET track_functions = 'all'"))
    # An ALTER DATABASE ... SET (of --sql, or the one above) holds for sessions that start
    # after it: none of the pool's is kept.
    await engine.dispose()
    clock, ids, house = SystemClock(), UuidV7Generator(), HouseBook()
    uow = await start_unit_of_work_factory(
        engine, house.shards, SeedCipher(secrets.token_bytes(32)), PersonalDataCipher.generated()
    )
    fund = FundBankroll(uow, clock, ids, house)
    await fund(FundBankrollCommand(Money(10**12, XTR), "bench", "fund"))
    place = PlaceBet(uow, clock, ids, house, SecretsSeedSource())
    players = []
    for i in range(args.players):
        registered = await RegisterPlayer(uow, clock)(
            RegisterPlayerCommand(10**9 + i, currencies=(XTR,), accept_terms=True)
        )
        player = registered.player.id
        await CreditDeposit(uow, clock, ids, house)(
            CreditDepositCommand(player, Money(10**9, XTR), f"deposit-{i}")
        )
        await place(_coin(player))  # the seed pair: later bets are steady-state ones
        players.append(player)

    async def single() -> int:
        async def worker(k: int) -> None:
            for i in range(args.bets // args.in_flight):
                await place(_coin(players[(k * 7 + i) % len(players)]))

        await asyncio.gather(*(worker(k) for k in range(args.in_flight)))
        return args.bets // args.in_flight * args.in_flight

    async def batch() -> int:
        many = PlaceBets(place)
        placed = 0
        for _ in range(args.batches):
            # A batch has one bet a player: more than --players bets need --players raised.
            chosen = [players[0]] * args.batch if args.hot else players[: args.batch]
            outcomes = await many([_coin(p) for p in chosen])
            assert all(isinstance(o, BetReceipt) for o in outcomes), outcomes[:3]
            placed += len(outcomes)
        return placed

    functions = await _function_stats(engine) if args.function_time else (0, 0.0)
    each = await _each_function(engine) if args.function_time else {}
    if args.statements is not None:
        await _statements(engine, reset=True)
    if args.write_args:
        writes, build = _record_writes()
    me = psutil.Process()
    profiler = cProfile.Profile() if args.cprofile else None
    wal = await _wal_position(engine)
    own, postgres, started = me.cpu_times(), _postgres_cpu(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    placed = await (single() if args.mode == "single" else batch())
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.cprofile)
    elapsed = time.perf_counter() - started
    after = me.cpu_times()
    own_ms = ((after.user + after.system) - (own.user + own.system)) / placed * 1000
    pg_ms = (_postgres_cpu() - postgres) / placed * 1000
    wal_bytes = (await _wal_position(engine) - wal) / placed
    print(
        f"{args.mode}: {placed} bets, {placed / elapsed:.0f} bets/s; "
        f"this process {own_ms:.3f} ms CPU a bet, PostgreSQL {pg_ms:.3f} ms CPU a bet, "
        f"{wal_bytes:.0f} WAL bytes a bet"
    )
    if args.function_time:
        calls, total = await _function_stats(engine)
        print(
            f"posting functions: {(calls - functions[0]) / placed:.3f} calls a bet,"
            f" {(total - functions[1]) / placed:.3f} ms a bet inside them"
        )
        for name, (calls, total, own_time) in (await _each_function(engine)).items():
            calls0, total0, own0 = each.get(name, (0, 0.0, 0.0))
            print(
                f"  {name}: {(calls - calls0) / placed:.3f} calls a bet,"
                f" {(total - total0) / placed:.3f} ms a bet in all,"
                f" {(own_time - own0) / placed:.3f} ms a bet in itself"
            )
    if args.write_args:
        _time_writes(writes, build)
    if args.statements is not None:
        lines = [
            f"{calls / placed:8.3f} {total / placed * 1000:9.1f}  " + " ".join(query.split())
            for calls, total, query in await _statements(engine, reset=False)
        ]
        args.statements.write_text(
            "calls a bet, µs a bet (wall, inside the functions too with track = all)\n"
            + "\n".join(lines)
            + "\n"
        )
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["single", "batch"])
    parser.add_argument("--players", type=int, default=50)
    parser.add_argument("--bets", type=int, default=1000, help="single: bets in all")
    parser.add_argument("--in-flight", type=int, default=1, help="single: concurrent callers")
    parser.add_argument("--batch", type=int, default=32, help="batch: bets a batch")
    parser.add_argument("--batches", type=int, default=20, help="batch: batches, one at a time")
    parser.add_argument("--hot", action="store_true", help="batch: every bet on one player")
    parser.add_argument("--keep-server", action="store_true")
    parser.add_argument(
        "--function-time", action="store_true", help="time inside the posting functions"
    )
    parser.add_argument(
        "--write-args",
        action="store_true",
        help="time the building of place_bets' arguments in-process (the measured batches')",
    )
    parser.add_argument(
        "--cprofile", type=Path, default=None, help="cProfile the measured bets into this file"
    )
    parser.add_argument(
        "--statements",
        type=Path,
        default=None,
        help="write pg_stat_statements of the measured bets into this file",
    )
    parser.add_argument(
        "--sql",
        action="append",
        default=[],
        help="a statement run after migrating (an A/B of a setting or a table's storage)",
    )
    parser.add_argument(
        "--ref",
        default=None,
        help="place the bets with this commit's code and migrations (git archive; the database"
        " is recreated every run, so an A/B of a SQL function needs nothing else)",
    )
    arguments = parser.parse_args()
    if arguments.ref is not None and SOURCE_ENV not in os.environ:
        reexec_on(arguments.ref, DATA.parent)
    try:
        asyncio.run(main(arguments))
    finally:
        if not arguments.keep_server:
            stop_postgres(DATA)
