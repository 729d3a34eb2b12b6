"""A unary PlayInstant's road through the serving process outside the use case, in-process and
without a server: the request's bytes decoded, the four interceptors `GrpcServer` installs
(chained as grpc.aio chains them, a `functools.partial` and an `intercept_service` each), the
undecodable guard, `guarded`, `BettingServicer.PlayInstant` (the command's translation,
`placing`), the bet queue (its future, the bet alone's task, the answer's hand-off) over a
`PlaceBet` stand-in that answers a settled coin bet at once, the answer built and encoded,
the metrics and the JSON access line written to a file (as `croupier run` writes it to its
stderr). grpc.aio's own work (HTTP/2, the completion queue, its tasks) is not here: that is
`door_cost.py`'s. CPU µs a call by the process's own counter, `--calls` calls in a row.

    .venv/bin/python bench/door_road.py [--calls 20000] [--repeat 5] [--in-flight 32]
    .venv/bin/python bench/door_road.py --cprofile FILE   # where the µs go (cProfile inflates)
    # another commit's code: PYTHONPATH=<its src> (bench/exported.py's export), e.g.
    .venv/bin/python bench/door_road.py --ref main
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import gc
import logging
import os
import pstats
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from door_steps import KEY, SECRET, _Clock, _Store
from door_steps import _Context as _StepsContext

ROOT = Path(__file__).resolve().parent.parent
METHOD = "/croupier.v1.BettingService/PlayInstant"


class _Context(_StepsContext):
    """door_steps.py's stand-in for grpc.aio's servicer context, with the call's own metadata
    and its trailing metadata kept."""

    def __init__(self, metadata: tuple[tuple[str, str], ...]) -> None:
        self._metadata = metadata
        self.trailing: Any = None

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def set_trailing_metadata(self, metadata: Any) -> None:
        self.trailing = metadata


class _Details:
    def __init__(self, metadata: tuple[tuple[str, str], ...]) -> None:
        self.method = METHOD
        self.invocation_metadata = metadata


async def _run_interceptor(interceptors: Any, query: Any, details: Any) -> Any:
    """grpc.aio's own chaining (`_run_interceptor` in its server.pyx.pxi)."""
    interceptor = next(interceptors, None)
    if interceptor:
        continuation = functools.partial(_run_interceptor, interceptors, query)
        return await interceptor.intercept_service(continuation, details)
    return query(details)


def _receipt() -> Any:
    from application.betting.decision import PlaceBetCommand, PlacementFacts, decide_bet
    from application.betting.receipts import BetReceipt
    from domain.fairness import commitment
    from domain.games.catalog import GameConfig, StakeLimits
    from domain.money import XTR, Money
    from domain.seeds import SeedPair

    class Ids:
        def new_id(self) -> uuid.UUID:
            return uuid.uuid4()

    now = datetime.now(UTC)
    seed = secrets.token_hex(32)
    pair = SeedPair(5, 1, seed, commitment(seed), secrets.token_hex(16), 0, now)
    command = PlaceBetCommand(
        player_id=1,
        bet_id=uuid.uuid4(),
        game="coin",
        stake=Money(10, XTR),
        params={"side": "heads"},
    )
    config = GameConfig(code="coin", limits={"XTR": StakeLimits(1, 10**6, 10**9)})
    facts = PlacementFacts(1000, config, 10**12, (pair, 0), 10**6)
    step = decide_bet(command, facts, now=now, ids=Ids())
    return BetReceipt(step.final, Money(10**6 - 10, XTR))


async def _road(calls: int, repeat: int, profile: Path | None, in_flight: int) -> None:
    from dishka import make_async_container

    from application.access import Authenticate
    from application.betting.queue import BetQueue
    from croupier.v1 import betting_pb2, betting_pb2_grpc, common_pb2
    from domain.money import CurrencyRegistry
    from entrypoints.grpc.auth import ApiKeyInterceptor
    from entrypoints.grpc.betting import BettingServicer
    from entrypoints.grpc.observability import ObservabilityInterceptor
    from entrypoints.grpc.server import _DishkaForKnownMethods
    from entrypoints.grpc.undecodable import UndecodableRequestInterceptor
    from entrypoints.observability.logs import configure_logging
    from entrypoints.settings import LogFormat

    receipt = _receipt()
    currencies = CurrencyRegistry()

    class Place:
        _uow = _clock = _ids = _house = _seeds = _guard = _velocity = _risk = _metrics = None

        async def __call__(self, command: Any) -> Any:
            return receipt

    queue = BetQueue(Place())  # type: ignore[arg-type]

    async def place_many(commands: Any) -> list[Any]:
        return [receipt] * len(commands)

    queue._place_many = place_many  # type: ignore[assignment]  # a batch's stand-in

    class Container:
        async def get(self, kind: Any) -> Any:
            return queue if kind is BetQueue else currencies

    log_dir = Path(tempfile.mkdtemp(prefix="door-road-"))
    log = log_dir / "access.log"
    with log.open("w") as out:
        os.dup2(out.fileno(), 2)  # the access lines go to stderr, as `croupier run`'s do
    # What `configure_logging` reads of the settings: `croupier run`'s defaults.
    configure_logging(
        SimpleNamespace(  # type: ignore[arg-type]
            grpc_processes=1,
            log_format=LogFormat.JSON,
            log_level="INFO",
            access_log=True,
            log_batch_writes=True,
        )
    )
    interceptors = (
        ObservabilityInterceptor(),
        ApiKeyInterceptor(Authenticate(_Store(), _Clock())),  # type: ignore[arg-type]
        UndecodableRequestInterceptor(),
        _DishkaForKnownMethods(make_async_container(), BettingServicer.UNSCOPED),
    )
    servicer = BettingServicer(Container())  # type: ignore[arg-type]
    handlers: dict[str, Any] = {}

    class Registered:
        def service(self, details: Any) -> Any:
            return handlers.get(details.method)

    class Server:
        def add_generic_rpc_handlers(self, generic: Any) -> None:
            handlers.update(generic[0]._method_handlers)

        def add_registered_method_handlers(self, service: str, methods: Any) -> None:
            return None

    betting_pb2_grpc.add_BettingServiceServicer_to_server(servicer, Server())
    generic = Registered()

    def query(details: Any) -> Any:
        return generic.service(details)

    request = betting_pb2.PlaceBetRequest(
        player_id="1",
        bet_id=str(uuid.uuid4()),
        game="coin",
        stake=common_pb2.Money(amount=10, currency="XTR"),
        params={"side": "heads"},
    ).SerializeToString()
    metadata = (
        ("x-api-key", f"crp_{KEY.key_id}_{SECRET}"),
        ("user-agent", "grpc-python-asyncio/1.7"),
    )

    async def one() -> bytes:
        details, ctx = _Details(metadata), _Context(metadata)
        handler = await _run_interceptor(iter(interceptors), query, details)
        message = handler.request_deserializer(request)
        answer = await handler.unary_unary(message, ctx)
        return handler.response_serializer(answer)  # type: ignore[no-any-return]

    async def some() -> None:
        # grpc.aio serves each call in a task of its own: so do these, `in_flight` at once
        # (the queue then batches all but the first, as under load).
        if in_flight == 1:
            await one()
        else:
            await asyncio.gather(*(one() for _ in range(in_flight)))

    await one()  # the caches a process fills at its first call
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000)  # `croupier run`'s (entrypoints/process/collector.py)
    profiler = cProfile.Profile() if profile is not None else None
    for _ in range(repeat):
        for _ in range(calls // 10 // in_flight):  # warm
            await some()
        if profiler is not None:
            profiler.enable()
        started = time.process_time()
        for _ in range(calls // in_flight):
            await some()
        elapsed = time.process_time() - started
        if profiler is not None:
            profiler.disable()
        done = calls // in_flight * in_flight
        print(f"door road x{in_flight}: {elapsed / done * 1e6:6.2f} µs a call", flush=True)
    if profiler is not None and profile is not None:
        profiler.dump_stats(profile)
        stats = pstats.Stats(str(profile), stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(35)
    logging.shutdown()
    shutil.rmtree(log_dir)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cprofile", type=Path, default=None)
    parser.add_argument("--in-flight", type=int, default=1, help="calls at once (gathered)")
    parser.add_argument("--ref", default=None, help="this commit's code (git archive)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(_road(args.calls, args.repeat, args.cprofile, args.in_flight))
        return 0
    src = ROOT / "src"
    if args.ref is not None:
        from exported import export_source

        src = export_source(args.ref, ROOT / "bench" / ".data")[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(src), str(ROOT / "bench")]))
    command = [sys.executable, __file__, "--inner", "--calls", str(args.calls)]
    command += ["--repeat", str(args.repeat), "--in-flight", str(args.in_flight)]
    command += [] if args.cprofile is None else ["--cprofile", str(args.cprofile)]
    return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
