"""What the gRPC door costs a call: the do-nothing servicer of `grpc_floor.py` served bare, and
behind the service's own interceptors (request id and its echo, metrics, access line, trace
context, API-key authentication and scopes, the undecodable-request guard, dishka's pass-through
for the betting methods), driven by the load generator. Server CPU a call from the serving
process's own counters; the difference is the door's per-call work, with no database, queue or
use case in it.

    .venv/bin/python bench/door_cost.py [--mode unary|stream] [--in-flight 32] [--seconds 5]
    .venv/bin/python bench/door_cost.py --ref HEAD~1   # the door of another commit (git archive)

`--echo trailing|initial|off` serves the door with that `CROUPIER_GRPC_ECHO_REQUEST_ID` (by
default the tree's own default; `--no-echo` is `--echo off`; a tree from before the three modes
takes `initial` and `off` as its boolean). `--repeat N` alternates bare and door N times (the
spread says how noisy the machine is)."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from cpu import CpuMeter
from driving import drive
from exported import export_source
from grpc_floor import _Floor, free_port
from loadgen import LoadSpec
from service_cost import _py_spy

ROOT = Path(__file__).resolve().parent.parent
KEY_ID, SECRET = "d00b0e0c0001", "s" * 43


async def _serve(port: int, door: bool, echo: str | None) -> None:
    from croupier.v1 import betting_pb2_grpc

    interceptors: list[grpc.aio.ServerInterceptor] = []
    if door:
        interceptors = _door(echo)
        try:  # as `GrpcServer` does since 2026-12-05 (a tree from before has no such module)
            from entrypoints.grpc import method_lookup
        except ImportError:
            pass
        else:
            method_lookup.install()
    server = grpc.aio.server(
        options=[("grpc.max_concurrent_streams", 1000)], interceptors=interceptors
    )
    betting_pb2_grpc.add_BettingServiceServicer_to_server(_Floor(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print("ready", flush=True)
    await server.wait_for_termination()


def _echo_argument(echo: str | None) -> dict[str, Any]:
    """The observability interceptor's echo argument for this tree's code."""
    if echo is None:
        return {}
    try:
        from entrypoints.settings import RequestIdEcho
    except ImportError:  # a tree from before the three modes: the setting was a boolean
        if echo == "trailing":
            raise SystemExit("this tree has no trailing echo (a boolean setting)") from None
        return {"echo_request_id": echo == "initial"}
    return {"echo_request_id": RequestIdEcho(echo)}


def _door(echo: str | None) -> list[grpc.aio.ServerInterceptor]:
    """The interceptors `GrpcServer` installs, in its order, over an in-memory key store."""
    from dishka import make_async_container

    from application.access import Authenticate
    from domain.access import ApiKey, hash_secret
    from entrypoints.grpc.auth import ApiKeyInterceptor
    from entrypoints.grpc.betting import BettingServicer
    from entrypoints.grpc.observability import ObservabilityInterceptor
    from entrypoints.grpc.server import _DishkaForKnownMethods
    from entrypoints.grpc.undecodable import UndecodableRequestInterceptor

    key = ApiKey(
        KEY_ID,
        "bench",
        hash_secret(SECRET),
        frozenset({"betting"}),
        datetime.now(UTC),
    )

    class Store:
        async def find(self, key_id: str) -> ApiKey | None:
            return key if key_id == KEY_ID else None

    class Clock:
        def now(self) -> datetime:
            return datetime.now(UTC)

    return [
        ObservabilityInterceptor(**_echo_argument(echo)),
        ApiKeyInterceptor(Authenticate(Store(), Clock())),  # type: ignore[arg-type]
        UndecodableRequestInterceptor(),
        _DishkaForKnownMethods(make_async_container(), BettingServicer.UNSCOPED),
    ]


def _measure(door: bool, args: argparse.Namespace, pythonpath: str) -> str:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=pythonpath)
    command = [sys.executable, __file__, "--serve", str(port)] + (["--door"] if door else [])
    command += [] if args.echo is None else ["--echo", args.echo]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        if server.stdout.readline().strip() != "ready":
            raise RuntimeError("the server did not start")
        spec = LoadSpec(
            address=f"127.0.0.1:{port}",
            api_key=f"crp_{KEY_ID}_{SECRET}",
            mode=args.mode,
            players=(1,),
            concurrency=args.in_flight,
            seconds=args.seconds,
            warmup=1.0,
        )
        recorder = None
        if door and args.profile is not None:
            recorder = _py_spy(server.pid, args.profile, spec.warmup + spec.seconds)
        measured = drive(1, lambda share, _: spec, args.in_flight, CpuMeter(server.pid, None))
        if recorder is not None:
            recorder.wait()
    finally:
        server.terminate()
        server.wait(timeout=10)
    errors = dict(measured.errors) or 0
    return (
        f"{'door' if door else 'bare':4} {args.mode} x{args.in_flight}: {measured.rate:6.0f}"
        f" calls/s, server CPU {(measured.service_cpu_ms or 0) * 1000:5.0f} µs a call;"
        f" errors {errors}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--door", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=("unary", "stream"), default="unary")
    parser.add_argument(
        "--echo",
        choices=("trailing", "initial", "off"),
        default=None,
        help="where the door echoes the request id (default: the tree's default)",
    )
    parser.add_argument(
        "--no-echo", dest="echo", action="store_const", const="off", help="--echo off"
    )
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--ref", default=None, help="the door of this commit's code")
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy the door's server (as service_cost)"
    )
    args = parser.parse_args()
    if args.serve:
        # On uvloop, as `croupier run` serves by default.
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(_serve(args.serve, args.door, args.echo))
        return 0
    src = ROOT / "src"
    if args.ref is not None:
        src = export_source(args.ref, ROOT / "bench" / ".data")[1]
    pythonpath = os.pathsep.join([str(src), str(ROOT / "bench")])
    for _ in range(args.repeat):
        for door in (False, True):
            ref = f" (ref {args.ref})" if args.ref else ""
            echo = f" (echo {args.echo})" if args.echo else ""
            print(_measure(door, args, pythonpath) + ref + echo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
