"""What the outbox costs per bet: its rows and bytes, and the relay's CPU per event.

On an embedded PostgreSQL and Valkey of its own (bench/.data/outbox, fsync on), places
provably fair `coin` bets through `PlaceBet` with no relay running, then runs one
`OutboxRelay` (the one `croupier relay` runs, real Redis publisher) until it has published the
backlog, and prints:

- outbox rows and bytes per bet (rows' own `pg_column_size`, and the table's growth with its
  indexes, `pg_total_relation_size`),
- the relay's CPU per event: this process (the relay only runs here while it is measured) and
  the PostgreSQL server's (the postmaster's processes only, not other servers on the machine),
- the statements the relay sent per batch (pg_stat_statements is not needed: counted by
  wrapping the relay's session).

    .venv/bin/python bench/outbox_cost.py --bets 2000
    .venv/bin/python bench/outbox_cost.py --bets 6000 --batch 100 --players 100 --ref main

`--batch N` places the bets through `PlaceBets`, N at a time (one outbox row each, as a
PlaceBatch message of N makes), after one bet a player (its seed pair); `--ref` runs a
commit's code and migrations (git archive) on a database made again every run; `--sql`
runs a statement after the migrations, e.g. another storage for the rows' events:

    .venv/bin/python bench/outbox_cost.py --bets 16000 --batch 16 --players 16 \
        --sql "ALTER TABLE outbox ALTER COLUMN events SET STORAGE EXTERNAL"

`--cprofile FILE` profiles the relay's measured drain (bench/profile_summary.py or pstats reads
it). The figures are the ones quoted in bench/README.md ("The outbox")."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import secrets
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import psutil
from exported import SOURCE_ENV, reexec_on
from sqlalchemy import text

from adapters.clock import SystemClock
from adapters.embedded_servers import (
    ensure_database,
    ensure_postgres,
    ensure_valkey,
    stop_postgres,
    stop_valkey,
)
from adapters.ids import UuidV7Generator
from adapters.personal_data import PersonalDataCipher
from adapters.postgres import migrate
from adapters.postgres.engine import create_engine
from adapters.postgres.outbox import SqlOutboxFeed
from adapters.postgres.uow import start_unit_of_work_factory
from adapters.redis_client import create_redis
from adapters.redis_events import RedisEventPublisher
from adapters.seed_cipher import SecretsSeedSource, SeedCipher
from application.bankroll import FundBankroll, FundBankrollCommand
from application.betting import BetReceipt, PlaceBet, PlaceBetCommand, PlaceBets
from application.house import HouseBook
from application.ports import EventEnvelope
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.relay import OutboxRelay, RelaySettings
from domain.money import XTR, Money

DATA = Path(__file__).resolve().parent / ".data" / "outbox"


def _server_cpu(data_dir: Path) -> float:
    """CPU seconds of this PostgreSQL server's processes (postmaster and its children)."""
    pid = int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
    total = 0.0
    try:
        postmaster = psutil.Process(pid)
        for process in [postmaster, *postmaster.children(recursive=True)]:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system + times.children_user + times.children_system
    except psutil.Error:
        pass
    return total


def _coin(player_id: int) -> PlaceBetCommand:
    return PlaceBetCommand(player_id, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"})


class CountingPublisher:
    """The real publisher, counting what it sent."""

    def __init__(self, inner: RedisEventPublisher) -> None:
        self._inner = inner
        self.events = 0
        self.batches = 0

    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        await self._inner.publish(events)
        self.events += len(events)
        self.batches += 1


async def _outbox_size(engine: object) -> tuple[int, int, int]:
    async with engine.connect() as conn:  # type: ignore[attr-defined]
        row = (
            await conn.execute(
                text(
                    "SELECT count(*), coalesce(sum(pg_column_size(o.*)), 0),"
                    " pg_total_relation_size('outbox') FROM outbox o"
                )
            )
        ).one()
    return int(row[0]), int(row[1]), int(row[2])


async def main(args: argparse.Namespace) -> None:
    url = ensure_database(ensure_postgres(DATA / "postgres"), "outbox", recreate=True)
    redis_url = ensure_valkey(DATA / "valkey")
    migrate.upgrade(url)
    engine = create_engine(url)
    for statement in args.sql:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    clock, ids, house = SystemClock(), UuidV7Generator(), HouseBook()
    uow = await start_unit_of_work_factory(
        engine, house.shards, SeedCipher(secrets.token_bytes(32)), PersonalDataCipher.generated()
    )
    await FundBankroll(uow, clock, ids, house)(
        FundBankrollCommand(Money(10**12, XTR), "bench", "fund")
    )
    place = PlaceBet(uow, clock, ids, house, SecretsSeedSource())
    players = []
    for i in range(args.players):
        registered = await RegisterPlayer(uow, clock)(
            RegisterPlayerCommand(10**9 + i, currencies=(XTR,), accept_terms=True)
        )
        await CreditDeposit(uow, clock, ids, house)(
            CreditDepositCommand(registered.player.id, Money(10**9, XTR), f"deposit-{i}")
        )
        players.append(registered.player.id)
        if args.batch:
            await place(_coin(registered.player.id))  # the seed pair, before the measured bets
    redis = create_redis(redis_url)
    stream = f"croupier:bench-events:{secrets.token_hex(4)}"
    publisher = CountingPublisher(RedisEventPublisher(redis, stream=stream))
    relay = OutboxRelay(SqlOutboxFeed(engine), publisher, RelaySettings(poll_interval=0.01))

    async def drain() -> None:
        """Run the relay until it has published everything there is."""
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        seen, quiet = -1, 0
        while quiet < 20:
            await asyncio.sleep(0.05)
            quiet = quiet + 1 if publisher.events == seen else 0
            seen = publisher.events
        stop.set()
        await task

    await drain()  # the set-up's own events
    rows_before, bytes_before, total_before = await _outbox_size(engine)
    if args.batch:
        many = PlaceBets(place)
        # A batch has one bet a player: a batch of more than --players needs --players raised.
        for _ in range(args.bets // args.batch):
            outcomes = await many([_coin(p) for p in players[: args.batch]])
            assert all(isinstance(o, BetReceipt) for o in outcomes), outcomes[:3]
    else:
        for i in range(args.bets):
            await place(_coin(players[i % len(players)]))
    rows_after, bytes_after, total_after = await _outbox_size(engine)
    bets = args.bets // args.batch * args.batch if args.batch else args.bets
    print(
        f"outbox per bet: {(rows_after - rows_before) / bets:.2f} rows, "
        f"{(bytes_after - bytes_before) / bets:.0f} bytes of rows, "
        f"{(total_after - total_before) / bets:.0f} bytes of table and indexes"
    )

    me = psutil.Process()
    events_before, batches_before = publisher.events, publisher.batches
    own, server, started = me.cpu_times(), _server_cpu(DATA / "postgres"), time.perf_counter()
    profile = cProfile.Profile() if args.cprofile else None
    if profile is not None:
        profile.enable()
    await drain()
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.cprofile)
    elapsed = time.perf_counter() - started
    after = me.cpu_times()
    events = publisher.events - events_before
    own_ms = ((after.user + after.system) - (own.user + own.system)) / events * 1000
    pg_ms = (_server_cpu(DATA / "postgres") - server) / events * 1000
    print(
        f"relay: {events} events ({events / bets:.2f} a bet) in "
        f"{publisher.batches - batches_before} batches, {elapsed:.1f} s; "
        f"relay process {own_ms * 1000:.0f} µs CPU an event, PostgreSQL {pg_ms * 1000:.1f} µs "
        "CPU an event (an idle second of polling included)"
    )
    await redis.delete(stream)
    await redis.aclose()
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=50)
    parser.add_argument("--bets", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=0, help="bets a PlaceBets call (0: PlaceBet)")
    parser.add_argument("--keep-servers", action="store_true")
    parser.add_argument(
        "--sql", action="append", default=[], help="a statement run after the migrations"
    )
    parser.add_argument(
        "--ref", default=None, help="run this commit's code and migrations (git archive)"
    )
    parser.add_argument(
        "--cprofile",
        default=None,
        help="cProfile the measured drain into this file (its CPU figures then include the "
        "profiler's)",
    )
    arguments = parser.parse_args()
    if arguments.ref is not None and SOURCE_ENV not in os.environ:
        reexec_on(arguments.ref, DATA.parent)
    try:
        asyncio.run(main(arguments))
    finally:
        if not arguments.keep_servers:
            stop_postgres(DATA / "postgres")
            stop_valkey(DATA / "valkey")
