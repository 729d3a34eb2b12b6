"""System calls a unary call of the gRPC door (bench/door_cost.py's server: the do-nothing
servicer behind the service's interceptors), per request-id echo mode: the server runs under
`strace -f -c` while N calls are made (`--in-flight` at a time), and the counts are divided by
N. Unlike CPU time this does not move with the machine's load, so it shows what a frame of
its own costs (the `initial` echo's `sendmsg`, and the wake-ups around it).

    .venv/bin/python bench/door_syscalls.py [--calls 4000] [--in-flight 1] [--echo initial ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import grpc
from grpc_floor import free_port

ROOT = Path(__file__).resolve().parent.parent
SHOWN = ("sendmsg", "recvmsg", "write", "read", "epoll_wait", "epoll_pwait", "futex")


async def _drive(port: int, calls: int, in_flight: int) -> None:
    from door_cost import KEY_ID, SECRET

    from croupier.v1 import betting_pb2, betting_pb2_grpc

    metadata = (("x-api-key", f"crp_{KEY_ID}_{SECRET}"), ("x-request-id", "req-1"))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = betting_pb2_grpc.BettingServiceStub(channel)
        request = betting_pb2.PlaceBetRequest(player_id="1", game="coin")

        async def caller(n: int) -> None:
            for _ in range(n):
                await stub.PlayInstant(request, metadata=metadata)

        await asyncio.gather(*[caller(calls // in_flight) for _ in range(in_flight)])


def _count(echo: str, calls: int, in_flight: int) -> dict[str, float]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT / "bench")]))
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as summary:
        command = ["strace", "-f", "-c", "-o", summary.name, sys.executable]
        command += [str(ROOT / "bench" / "door_cost.py"), "--serve", str(port), "--door"]
        command += ["--echo", echo]
        tracer = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        assert tracer.stdout is not None
        if tracer.stdout.readline().strip() != "ready":
            raise RuntimeError("the server did not start")
        asyncio.run(_drive(port, calls, in_flight))
        # Stop the traced server itself: strace then writes its summary and exits.
        for child in Path(f"/proc/{tracer.pid}/task/{tracer.pid}/children").read_text().split():
            os.kill(int(child), 15)
        tracer.wait(timeout=30)
        counts: dict[str, int] = {}
        for line in summary.read().splitlines():
            parts = line.split()
            if len(parts) >= 5 and parts[-1].isidentifier() and parts[3].isdigit():
                counts[parts[-1]] = int(parts[3])
    shown = {name: counts.get(name, 0) / calls for name in SHOWN}
    shown["all"] = sum(counts.values()) / calls
    return shown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=4000)
    parser.add_argument("--in-flight", type=int, default=1)
    parser.add_argument(
        "--echo", nargs="+", default=["initial", "trailing", "off"], help="the modes, in turn"
    )
    args = parser.parse_args()
    for echo in args.echo:
        counts = _count(echo, args.calls, args.in_flight)
        print(
            f"{echo:8} x{args.in_flight}: "
            + ", ".join(f"{name} {value:.2f}" for name, value in counts.items())
            + " a call"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
