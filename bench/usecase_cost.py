"""What one bet costs in CPU, the service's and PostgreSQL's, without gRPC in the way.

Places provably fair `coin` bets straight through the use cases on an embedded PostgreSQL of
its own (bench/.data/usecase, fsync on), after giving every player a seed pair, and prints
bets/s and CPU milliseconds per bet of this process and of all PostgreSQL processes:

    .venv/bin/python bench/usecase_cost.py single --bets 1000 --in-flight 1
    .venv/bin/python bench/usecase_cost.py batch --batch 32 --batches 20
    .venv/bin/python bench/usecase_cost.py batch --batch 32 --batches 20 --hot

`single` is `PlaceBet` (the path of a bet placed alone), `batch` is `PlaceBets` (one batch at
a time). The figures are the ones quoted in bench/README.md."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
import uuid
from pathlib import Path

import psutil

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
    """CPU seconds of this bench's PostgreSQL server (its postmaster and backends) only: on a
    machine shared with other servers, counting every `postgres` process counts theirs too."""
    postmaster = psutil.Process(int((DATA / "pgdata" / "postmaster.pid").read_text().split()[0]))
    total = 0.0
    for process in [postmaster, *postmaster.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _coin(player_id: int) -> PlaceBetCommand:
    return PlaceBetCommand(player_id, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"})


async def main(args: argparse.Namespace) -> None:
    url = ensure_database(ensure_postgres(DATA), "usecase", recreate=True)
    migrate.upgrade(url)
    engine = create_engine(url)
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
        for _ in range(args.batches):
            chosen = [players[0]] * args.batch if args.hot else players[: args.batch]
            outcomes = await many([_coin(p) for p in chosen])
            assert all(isinstance(o, BetReceipt) for o in outcomes), outcomes[:3]
        return args.batch * args.batches

    me = psutil.Process()
    own, postgres, started = me.cpu_times(), _postgres_cpu(), time.perf_counter()
    placed = await (single() if args.mode == "single" else batch())
    elapsed = time.perf_counter() - started
    after = me.cpu_times()
    own_ms = ((after.user + after.system) - (own.user + own.system)) / placed * 1000
    pg_ms = (_postgres_cpu() - postgres) / placed * 1000
    print(
        f"{args.mode}: {placed} bets, {placed / elapsed:.0f} bets/s; "
        f"this process {own_ms:.2f} ms CPU a bet, PostgreSQL {pg_ms:.2f} ms CPU a bet"
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
    arguments = parser.parse_args()
    try:
        asyncio.run(main(arguments))
    finally:
        if not arguments.keep_server:
            stop_postgres(DATA)
