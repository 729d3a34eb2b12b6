"""A unit of work's own cost, its ends through SQLAlchemy's greenlet bridge (issue 19):

    .venv/bin/python bench/uow_hops.py [--threads 3] [--rounds 4] [--units 2000]

On the bench's embedded PostgreSQL (bench/.data, started by service_cost.py or run.py; its
port is read from the postmaster's pid file), times units of work that send one statement
through the driver, as a bet alone does (`SELECT 1` stands for the snapshot read), two ways,
alternated:

- `five`: the unit of work as it was until wt-lone: `AsyncEngine.connect`, `begin`,
  `get_raw_connection`, `commit`, `close`, each a hop through the bridge (a new greenlet each);
- `one`: `adapters.postgres.uow`'s way: one hop for the checkout, `begin` and the pooled
  connection, the commit and the connection's return as plain Python.

Prints wall and CPU µs (getrusage: user + system) a unit of work. `--threads N` starts N
threads that wake every 0.5 ms, as grpc's and the loop's threads do in the serving process
(unmapping memory in a process whose threads run on other CPUs costs more)."""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import uvloop  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine  # noqa: E402
from sqlalchemy.util import greenlet_spawn  # noqa: E402

from adapters.postgres.engine import create_engine  # noqa: E402
from adapters.postgres.uow import _begun, _takes_back_quietly  # noqa: E402


def _database_url() -> str:
    pgdata = ROOT / "bench" / ".data" / "postgres" / "pgdata"
    lines = (pgdata / "postmaster.pid").read_text().splitlines()
    return f"postgresql://postgres@127.0.0.1:{lines[3]}/croupier_bench"


async def five(engine: AsyncEngine) -> None:
    conn = await engine.connect()
    await conn.begin()
    fairy = await conn.get_raw_connection()
    await fairy.driver_connection.fetchval("SELECT 1")  # type: ignore[union-attr]
    await conn.commit()
    await conn.close()


async def one(engine: AsyncEngine) -> None:
    sync, fairy = await greenlet_spawn(_begun, engine.sync_engine)
    conn = AsyncConnection(engine, sync)
    await fairy.driver_connection.fetchval("SELECT 1")
    sync.commit()  # the asyncpg adapter began nothing: no statement went through SQLAlchemy
    if not _takes_back_quietly(engine.sync_engine.pool):
        raise SystemExit("the pool's queue is full: no quiet return to time")
    sync.close()
    del conn


async def measure(rounds: int, units: int) -> None:
    engine = create_engine(_database_url(), pool_size=5, max_overflow=5)
    try:
        for way in (five, one):  # the pool's connection opened, statements prepared
            for _ in range(200):
                await way(engine)
        for _ in range(rounds):
            for way in (five, one):
                before = resource.getrusage(resource.RUSAGE_SELF)
                started = time.perf_counter()
                for _ in range(units):
                    await way(engine)
                wall = (time.perf_counter() - started) / units * 1e6
                after = resource.getrusage(resource.RUSAGE_SELF)
                system = (after.ru_stime - before.ru_stime) / units * 1e6
                cpu = (after.ru_utime - before.ru_utime) / units * 1e6 + system
                print(
                    f"{way.__name__}: wall {wall:6.1f} µs, CPU {cpu:6.1f} µs (system"
                    f" {system:5.1f}) a unit of work",
                    flush=True,
                )
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--units", type=int, default=2000)
    args = parser.parse_args()
    stop = threading.Event()

    def wake() -> None:
        while not stop.is_set():
            time.sleep(0.0005)

    for _ in range(args.threads):
        threading.Thread(target=wake, daemon=True).start()
    try:
        uvloop.run(measure(args.rounds, args.units))
    finally:
        stop.set()


if __name__ == "__main__":
    main()
