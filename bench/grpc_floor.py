"""The floor under the service's cost: a grpc.aio server whose `PlayInstant` does no work at
all (no authentication, no database, a canned answer), driven by the same load generator.

Whatever this reaches on a machine is the most any Python grpc.aio service can answer there,
before it does one thing of its own; `run.py` prints it as the `grpc floor` rows, and the
issue's ratios can be read against it.

    .venv/bin/python bench/grpc_floor.py [--concurrency 32] [--seconds 5]

(`unary`: `PlayInstant`; `stream`: `StreamBets`, commands answered one by one as they come.)"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path

import grpc
from loadgen import LoadResult

from croupier.v1 import betting_pb2, betting_pb2_grpc, common_pb2

BENCH = Path(__file__).resolve().parent


class _Floor(betting_pb2_grpc.BettingServiceServicer):
    def __init__(self) -> None:
        self._answer = betting_pb2.BetResponse(
            bet=betting_pb2.Bet(
                bet_id="00000000-0000-0000-0000-000000000000",
                player_id="1",
                game="coin",
                stake=common_pb2.Money(amount=10, currency="XTR"),
                outcome="heads",
                multiplier="1.98",
                payout=common_pb2.Money(amount=19, currency="XTR"),
            ),
            balance=common_pb2.Money(amount=1000, currency="XTR"),
        )

    async def PlayInstant(
        self, request: betting_pb2.PlaceBetRequest, context: grpc.aio.ServicerContext
    ) -> betting_pb2.BetResponse:
        return self._answer

    async def StreamBets(self, requests: object, context: grpc.aio.ServicerContext) -> object:
        async for command in requests:  # type: ignore[attr-defined]
            yield betting_pb2.BetResult(correlation_id=command.correlation_id, ok=self._answer)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def serve(port: int, ready: asyncio.Event, stop: asyncio.Event) -> None:
    server = grpc.aio.server(options=[("grpc.max_concurrent_streams", 1000)])
    betting_pb2_grpc.add_BettingServiceServicer_to_server(_Floor(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    ready.set()
    await stop.wait()
    await server.stop(grace=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if args.serve:
        stop = asyncio.Event()
        asyncio.run(serve(args.serve, asyncio.Event(), stop))
        return
    for mode in ("unary", "stream"):
        result = measure(mode, args.concurrency, args.seconds)
        rate = result.ok / args.seconds
        print(f"grpc floor {mode:6}  {args.concurrency:3} in flight  {rate:8.0f} calls/s")


def measure(mode: str, concurrency: int, seconds: float, warmup: float = 1.0) -> LoadResult:
    """What the do-nothing server answered in `seconds`, server and load in their own
    processes as in the real cases."""
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        spec = {
            "address": f"127.0.0.1:{port}",
            "api_key": "-",
            "mode": mode,
            "players": [1],
            "concurrency": concurrency,
            "seconds": seconds,
            "warmup": warmup,
        }
        load = subprocess.run(
            [sys.executable, str(BENCH / "loadgen.py")],
            input=json.dumps(spec),
            capture_output=True,
            text=True,
            check=True,
        )
        return LoadResult.from_json(load.stdout)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
