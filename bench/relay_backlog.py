"""What a relay batch costs when the backlog is long (after hours of Redis outage, say).

On an embedded PostgreSQL of its own (bench/.data/relay-backlog), writes `--published` outbox
rows and moves the relay's watermark past them, then `--owed` rows the relay has not published
(each row a coin bet's four event envelopes, ~1.3 kB, written 1,000 rows a transaction), and
VACUUM ANALYZE. Then one relay (`OutboxRelay.relay_batch`, its real session, a publisher that
sends nothing) publishes `--batches` batches of `--batch-size` rows, and prints per batch: the
wall time, this process's CPU and PostgreSQL's (its processes' own counters), the first batch
apart (it lists the window's row ids since the bounded read). `--drain` publishes the whole
backlog and prints the mean over all of it; `--owed 0` measures `--idle` polls of a relay
that is caught up instead. `--valkey` publishes for real instead (`RedisEventPublisher`, to an
embedded Valkey of its own in bench/.data/relay-backlog/valkey, the stream trimmed as in
production), so the relay's CPU is what the relay process spends a batch. `--ref` measures
another commit's code (its src/ by `git archive`), e.g. `--ref 5a7a9ca` for the read before
the bounded one:

    .venv/bin/python bench/relay_backlog.py --owed 10000
    .venv/bin/python bench/relay_backlog.py --owed 200000 --ref 5a7a9ca

`--bets-a-row N` writes rows of N such bets (a bet queue batch's row holds up to 64, a
PlaceBatch message's up to 1,000), and the run then prints the rows' stored and text sizes
and this process's peak RSS, what the relay holds while it reads a batch of such rows (with
`--valkey`, and while it publishes them: a real publish holds each event's commands too):

    .venv/bin/python bench/relay_backlog.py --owed 2000 --bets-a-row 64 --drain --valkey

The figures are the ones quoted in bench/README.md ("The relay on a long backlog", and
2026-12-05 16:45 and 21:40 for rows of many bets)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import time
from collections.abc import Sequence
from pathlib import Path

import psutil
from exported import SOURCE_ENV, reexec_on
from sqlalchemy import text

from adapters.embedded_servers import ensure_database, ensure_postgres, stop_postgres
from adapters.embedded_servers.valkey import ensure_valkey, stop_valkey
from adapters.postgres import migrate
from adapters.postgres.engine import create_engine
from adapters.postgres.outbox import SqlOutboxFeed
from adapters.redis_client import create_redis
from adapters.redis_events import RedisEventPublisher
from application.ports import EventEnvelope
from application.relay import OutboxRelay, RelaySettings

DATA = Path(__file__).resolve().parent / ".data" / "relay-backlog"

# A coin bet's row: bet.placed, the stake, bet.settled, the payout (payloads abridged to
# about the real size).
_ROW = json.dumps(
    [
        {
            "type": kind,
            "version": 1,
            "aggregate_type": "bet",
            "sequence": sequence,
            "occurred_at": "2026-12-03T00:00:00Z",
            "player_ids": [1000001],
            "data": {"version": 1, "game": "coin", "stake": 10, "padding": "x" * 220},
        }
        for sequence, kind in enumerate(
            ["bet.placed", "ledger.transaction_posted", "bet.settled", "ledger.transaction_posted"],
            start=1,
        )
    ]
)
_WRITE = text(
    "INSERT INTO outbox (events)"
    " SELECT (SELECT jsonb_agg(e || jsonb_build_object('event_id', gen_random_uuid(),"
    "                                                  'aggregate_id', CAST(i AS text)))"
    "         FROM jsonb_array_elements(CAST(:row AS jsonb)) AS e)"
    " FROM generate_series(1, :rows) AS i"
)


def _peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Nowhere:
    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        return None


def _postgres_cpu() -> float:
    pid = int((DATA / "postgres" / "pgdata" / "postmaster.pid").read_text().split()[0])
    total = 0.0
    postmaster = psutil.Process(pid)
    for process in [postmaster, *postmaster.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


async def _write(engine: object, rows: int, bets: int = 1) -> None:
    row = json.dumps(json.loads(_ROW) * bets)
    step = max(1, 1000 // bets)
    for start in range(0, rows, step):
        async with engine.begin() as conn:  # type: ignore[attr-defined]
            await conn.execute(_WRITE, {"row": row, "rows": min(step, rows - start)})


async def _idle(engine: object, relay: OutboxRelay, polls: int) -> None:
    """A caught-up relay's polls (what it does 20 times a second when nothing is owed)."""
    async with SqlOutboxFeed(engine).claim() as session:  # type: ignore[arg-type]
        assert session is not None
        server, started = _postgres_cpu(), time.perf_counter()
        for _ in range(polls):
            assert await relay.relay_batch(session) == 0
        wall = time.perf_counter() - started
        print(
            f"  {polls} idle polls: {wall / polls * 1000:.2f} ms wall, PostgreSQL "
            f"{(_postgres_cpu() - server) / polls * 1000:.3f} ms CPU a poll"
        )


async def main(args: argparse.Namespace) -> None:
    url = ensure_database(ensure_postgres(DATA / "postgres"), "backlog", recreate=True)
    migrate.upgrade(url)
    engine = create_engine(url)
    await _write(engine, args.published)
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE outbox_relay SET published_through = pg_current_snapshot()")
        )
    await _write(engine, args.owed, args.bets_a_row)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE outbox"))
    redis = create_redis(ensure_valkey(DATA / "valkey")) if args.valkey else None
    if redis is not None:
        await redis.delete("croupier:events")
    publisher = Nowhere() if redis is None else RedisEventPublisher(redis)
    relay = OutboxRelay(SqlOutboxFeed(engine), publisher, RelaySettings(batch_size=args.batch_size))
    me = psutil.Process()
    source = os.environ.get(SOURCE_ENV, "the working tree")
    print(
        f"{source}: {args.published} published rows, {args.owed} owed, batches of "
        f"{args.batch_size} rows, published {'to Valkey' if redis else 'nowhere'}"
    )
    if args.owed == 0:
        await _idle(engine, relay, args.idle)
        await engine.dispose()
        return
    row_events = 4 * args.bets_a_row
    if args.bets_a_row > 1:
        async with engine.connect() as conn:
            stored, text_bytes = (
                await conn.execute(
                    text(
                        "SELECT avg(pg_column_size(events)),"
                        " avg(octet_length(CAST(events AS text))) FROM outbox WHERE tx >="
                        " (SELECT pg_snapshot_xmax(published_through) FROM outbox_relay)"
                    )
                )
            ).one()
        print(
            f"  rows of {args.bets_a_row} bets ({row_events} events): {stored / 1024:,.0f} kB"
            f" stored, {text_bytes / 1024:,.0f} kB of text each"
        )
    rss_before = _peak_rss_mb()
    events = 0
    async with SqlOutboxFeed(engine).claim() as session:
        assert session is not None
        samples: list[tuple[float, float, float]] = []
        while args.drain or len(samples) < args.batches:
            own, server, started = me.cpu_times(), _postgres_cpu(), time.perf_counter()
            relayed = await relay.relay_batch(session)
            wall = time.perf_counter() - started
            if relayed == 0:
                break
            after = me.cpu_times()
            own_cpu = (after.user + after.system) - (own.user + own.system)
            samples.append((wall * 1000, own_cpu * 1000, (_postgres_cpu() - server) * 1000))
            assert relayed % row_events == 0, relayed
            events += relayed
    print(
        f"  {events:,} events in {len(samples)} batches ({events / row_events / len(samples):.1f}"
        f" rows a batch); peak RSS {rss_before:.0f} MB before the batches,"
        f" {_peak_rss_mb():.0f} MB after"
    )
    if redis is not None:
        await redis.aclose()
    first, rest = samples[0], samples[1:]

    def mean(values: list[tuple[float, float, float]], i: int) -> float:
        return sum(v[i] for v in values) / len(values)

    print(
        f"  first batch: {first[0]:.1f} ms wall, relay {first[1]:.1f} ms CPU, "
        f"PostgreSQL {first[2]:.1f} ms CPU"
    )
    if rest:
        print(
            f"  batches 2-{len(samples)}: {mean(rest, 0):.1f} ms wall, relay"
            f" {mean(rest, 1):.1f} ms CPU, PostgreSQL {mean(rest, 2):.1f} ms CPU a batch (mean)"
        )
    print(
        f"  all {len(samples)}: {mean(samples, 0):.1f} ms wall, relay {mean(samples, 1):.1f} ms"
        f" CPU, PostgreSQL {mean(samples, 2):.1f} ms CPU a batch (mean)"
    )
    each = mean(samples, 1) * len(samples) / events * 1000
    print(f"  relay CPU an event (all batches): {each:.1f} us")
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--published", type=int, default=50_000)
    parser.add_argument("--owed", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--bets-a-row", type=int, default=1, help="the events of N bets a row")
    parser.add_argument("--drain", action="store_true", help="publish the whole backlog")
    parser.add_argument("--idle", type=int, default=2000, help="polls measured with --owed 0")
    parser.add_argument("--valkey", action="store_true", help="publish to a real Valkey")
    parser.add_argument("--ref", default=None, help="measure this commit's code instead")
    parser.add_argument("--keep-servers", action="store_true")
    arguments = parser.parse_args()
    if arguments.ref is not None and SOURCE_ENV not in os.environ:
        reexec_on(arguments.ref, DATA)
    try:
        asyncio.run(main(arguments))
    finally:
        if not arguments.keep_servers:
            stop_postgres(DATA / "postgres")
            stop_valkey(DATA / "valkey")
