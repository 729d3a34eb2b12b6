"""What the limits' usage read costs a guarded bet (`SqlResponsibleGambling.usage`'s betting
query, read on every bet of a player with a wager or loss limit), with many duels in the
table, for a player who never duelled and for one who did, this tree's query against
another file's (issue 19: the duel subqueries of revision 0045):

    .venv/bin/python bench/usage_cost.py --duels 20000 --calls 2000
    .venv/bin/python bench/usage_cost.py --other /tmp/before/src/adapters/postgres/responsible.py

On the use-case bench's embedded server (bench/.data/usecase), in one transaction that is
rolled back: players and duels are inserted, each query runs `--calls` times per player
(alternating, after a warm-up), and the time is the client's wall clock a call and one
`EXPLAIN (ANALYZE)` of each query's execution. Prints microseconds a call and each
plan's scan nodes."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import TextClause, text

from adapters.embedded_servers import ensure_database, ensure_postgres
from adapters.postgres import migrate
from adapters.postgres.engine import create_engine

DATA = Path(__file__).resolve().parent / ".data" / "usecase"
SINCE = datetime(2026, 1, 1, tzinfo=UTC)
THIS = Path(__file__).resolve().parents[1] / "src" / "adapters" / "postgres" / "responsible.py"


def _query(path: Path) -> TextClause:
    spec = importlib.util.spec_from_file_location(f"usage_{abs(hash(path))}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._BETTING  # type: ignore[no-any-return]


def _scans(plan: dict) -> list[str]:  # type: ignore[type-arg]
    found = []
    if "Scan" in plan["Node Type"]:
        found.append(f"{plan['Node Type']} {plan.get('Index Name', plan.get('Relation Name'))}")
    for child in plan.get("Plans", []):
        found.extend(_scans(child))
    return found


async def main(args: argparse.Namespace) -> None:
    url = ensure_database(ensure_postgres(DATA), "usage", recreate=True)
    migrate.upgrade(url)
    engine = create_engine(url)
    queries = {"this tree": _query(THIS)}
    if args.other:
        queries["other"] = _query(Path(args.other))
    async with engine.connect() as conn:
        await conn.begin()
        ids = []
        for i in range(args.players + 1):
            ids.append(
                await conn.scalar(
                    text(
                        "INSERT INTO players (telegram_user_id, created_at) "
                        "VALUES (:t, now()) RETURNING id"
                    ),
                    {"t": 9 * 10**12 + secrets.randbelow(10**11) + i},
                )
            )
        loner, duellists = ids[0], ids[1:]
        await conn.execute(
            text(
                """
                INSERT INTO duels (id, chat_id, challenger_id, challenged_id, currency, stake,
                    game, cut_bps, max_ties, state, winner_id, created_at, deadline, finished_at)
                SELECT gen_random_uuid(), -1, a, b, 'XTR', 10, '🎲', 500, 1, 'settled', a,
                       CAST(:t AS timestamptz) + make_interval(secs => g), CAST(:t AS timestamptz),
                       CAST(:t AS timestamptz) + make_interval(secs => g)
                FROM generate_series(1, :n) g,
                     LATERAL (SELECT (CAST(:ids AS bigint[]))[1 + g % :k] AS a,
                                     (CAST(:ids AS bigint[]))[1 + (g + 1) % :k] AS b) p
                """
            ),
            {"n": args.duels, "ids": duellists, "k": len(duellists), "t": SINCE},
        )
        await conn.execute(text("ANALYZE duels"))
        for label, player in (("never duelled", loner), ("duelled", duellists[0])):
            params = {"p": player, "currency": "XTR", "since": SINCE - timedelta(days=1)}
            for name, query in queries.items():
                plan = await conn.scalar(
                    text("EXPLAIN (ANALYZE, FORMAT JSON) " + query.text), params
                )
                plan = plan if isinstance(plan, list) else json.loads(plan)
                for _ in range(50):  # warm-up
                    await conn.execute(query, params)
                started = time.perf_counter()
                for _ in range(args.calls):
                    await conn.execute(query, params)
                wall = (time.perf_counter() - started) / args.calls * 1e6
                print(
                    f"{label:14} {name:10} {wall:8.0f} µs a call (client wall), "
                    f"{plan[0]['Execution Time'] * 1000:8.0f} µs executing (EXPLAIN ANALYZE); "
                    f"scans: {', '.join(sorted(set(_scans(plan[0]['Plan']))))}"
                )
        await conn.rollback()
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duels", type=int, default=20_000)
    parser.add_argument("--players", type=int, default=200)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--other", default=None, help="another responsible.py to compare")
    asyncio.run(main(parser.parse_args()))
