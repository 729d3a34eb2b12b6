"""The load generator: runs in its own process (see run.py) and drives settled bets over gRPC.

Four shapes of load, all on the provably fair `coin` game with a unique bet id per bet:

- `unary`: `concurrency` coroutines, each calling `PlayInstant` back to back (closed loop);
- `stream`: `StreamBets` streams, each keeping its share of `concurrency` commands in flight;
- `rate`: `PlayInstant` started at a fixed rate (open loop), latency measured from the moment
  a bet was due, so a stalled server shows up in the tail instead of slowing the clock;
- `batch`: `concurrency` coroutines, each calling `PlaceBatch` with `batch_size` bets back to
  back (each bet's latency is its message's); a service without the RPC answers UNIMPLEMENTED
  once, and the case reports it.

Only calls that finish inside the measured window count; a warm-up before it is discarded.
`total` counts every bet that succeeded, warm-up and drain included (for counters read around
the whole run). The process writes `window-start` and `window-end` lines on stderr when the
measured window opens and closes, so the harness can read CPU counters over the same window."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import batch_wire
import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from croupier.v1 import betting_pb2, betting_pb2_grpc, common_pb2

STAKE = 10  # XTR, far below every risk threshold
CALL_TIMEOUT_S = 30.0
STREAM_WINDOW = 32  # commands in flight per stream; more concurrency opens more streams


@dataclass(frozen=True, slots=True)
class LoadSpec:
    address: str
    api_key: str
    mode: str  # unary | stream | rate | batch
    players: tuple[int, ...]
    concurrency: int  # in flight in this process (unary, stream); the cap for rate
    seconds: float
    warmup: float
    rate: float = 0.0  # bets per second in this process (rate)
    batch_size: int = 100  # bets a PlaceBatch message (batch)


@dataclass(slots=True)
class LoadResult:
    ok: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    total: int = 0  # every success, inside the window or not

    def to_json(self) -> str:
        return json.dumps(
            {
                "ok": self.ok,
                "latencies_ms": self.latencies_ms,
                "errors": dict(self.errors),
                "total": self.total,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> LoadResult:
        data = json.loads(text)
        return cls(
            int(data["ok"]),
            list(data["latencies_ms"]),
            Counter(data["errors"]),
            int(data.get("total", data["ok"])),
        )


def main() -> None:
    """The process entry point: a LoadSpec as JSON on stdin, the LoadResult as JSON out."""
    data = json.load(sys.stdin)
    data["players"] = tuple(data["players"])
    result = asyncio.run(_run(LoadSpec(**data)))
    sys.stdout.write(result.to_json())


def _request(players: tuple[int, ...]) -> betting_pb2.PlaceBetRequest:
    return betting_pb2.PlaceBetRequest(
        player_id=str(random.choice(players)),
        bet_id=str(uuid.uuid4()),
        game="coin",
        stake=common_pb2.Money(amount=STAKE, currency="XTR"),
        params={"side": "heads"},
    )


def _reason(error: grpc.aio.AioRpcError) -> str:
    status = rpc_status.from_call(error)
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                return f"{error.code().name}/{info.reason}"
    return str(error.code().name)


class _Window:
    """Counts what finishes between the end of the warm-up and the deadline."""

    def __init__(self, spec: LoadSpec) -> None:
        now = time.perf_counter()
        self.start = now + spec.warmup
        self.end = self.start + spec.seconds
        self.result = LoadResult()
        # CROUPIER_BENCH_TRACE=<folder>: every bet of the window (when it was due or started,
        # from the window's start, and its latency), written there as JSON when the load ends,
        # to see where in time the slow bets are (stall_probe/ notes this process's loop lags).
        self.trace: list[tuple[float, float]] | None = (
            [] if os.environ.get("CROUPIER_BENCH_TRACE") else None
        )

    def running(self) -> bool:
        return time.perf_counter() < self.end

    def mark(self) -> None:
        """Tell the harness (stderr) when the window opens and closes."""
        loop = asyncio.get_running_loop()
        now = time.perf_counter()
        for name, at in (("window-start", self.start), ("window-end", self.end)):
            loop.call_later(max(0.0, at - now), _say, name)

    def ok(self, started: float) -> None:
        now = time.perf_counter()
        self.result.total += 1
        if self.start <= now < self.end:
            self.result.ok += 1
            self.result.latencies_ms.append((now - started) * 1000)
            if self.trace is not None:
                self.trace.append((started - self.start, (now - started) * 1000))

    def error(self, reason: str) -> None:
        if self.start <= time.perf_counter() < self.end:
            self.result.errors[reason] += 1


async def _run(spec: LoadSpec) -> LoadResult:
    options = [("grpc.max_concurrent_streams", 1000)]
    async with grpc.aio.insecure_channel(spec.address, options=options) as channel:
        stub = betting_pb2_grpc.BettingServiceStub(channel)
        metadata = (("x-api-key", spec.api_key),)
        await channel.channel_ready()
        window = _Window(spec)
        window.mark()
        if spec.mode == "unary":
            await _unary(stub, metadata, spec, window)
        elif spec.mode == "stream":
            await _streams(stub, metadata, spec, window)
        elif spec.mode == "rate":
            await _rate(stub, metadata, spec, window)
        elif spec.mode == "batch":
            await _batches(channel, metadata, spec, window)
        else:
            raise ValueError(f"unknown mode {spec.mode!r}")
        remaining = window.end - time.perf_counter()
        if remaining > 0 and "UNIMPLEMENTED" not in window.result.errors:
            # The open loop's last bet can finish before the window closes: stay until it
            # does, so `window-end` is said and CPU is read over the same window.
            await asyncio.sleep(remaining + 0.01)
        if window.trace is not None:
            _write_trace(window)
        return window.result


def _write_trace(window: _Window) -> None:
    folder = os.environ["CROUPIER_BENCH_TRACE"]
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"loadgen-{os.getpid()}.json")
    with open(path, "w") as out:
        # The window's start on the wall clock, to line the trace up with other processes'.
        start_wall = time.time() - (time.perf_counter() - window.start)
        json.dump({"start": start_wall, "bets": window.trace}, out)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


async def _one(
    stub: betting_pb2_grpc.BettingServiceStub,
    metadata: tuple[tuple[str, str], ...],
    players: tuple[int, ...],
    window: _Window,
    started: float,
) -> None:
    try:
        await stub.PlayInstant(_request(players), metadata=metadata, timeout=CALL_TIMEOUT_S)
    except grpc.aio.AioRpcError as error:
        window.error(_reason(error))
    else:
        window.ok(started)


async def _unary(
    stub: betting_pb2_grpc.BettingServiceStub,
    metadata: tuple[tuple[str, str], ...],
    spec: LoadSpec,
    window: _Window,
) -> None:
    async def worker() -> None:
        while window.running():
            await _one(stub, metadata, spec.players, window, time.perf_counter())

    await asyncio.gather(*(worker() for _ in range(spec.concurrency)))


async def _rate(
    stub: betting_pb2_grpc.BettingServiceStub,
    metadata: tuple[tuple[str, str], ...],
    spec: LoadSpec,
    window: _Window,
) -> None:
    interval = 1.0 / spec.rate
    slots = asyncio.Semaphore(spec.concurrency)
    pending: set[asyncio.Task[None]] = set()

    async def bet(due: float) -> None:
        try:
            await _one(stub, metadata, spec.players, window, due)
        finally:
            slots.release()

    due = time.perf_counter()
    while due < window.end:
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if slots.locked():
            window.error("CLIENT_CAP_REACHED")
        await slots.acquire()
        task = asyncio.create_task(bet(due))
        pending.add(task)
        task.add_done_callback(pending.discard)
        due += interval
    if pending:
        await asyncio.gather(*pending)


async def _batches(
    channel: grpc.aio.Channel,
    metadata: tuple[tuple[str, str], ...],
    spec: LoadSpec,
    window: _Window,
) -> None:
    place_batch = channel.unary_unary(
        batch_wire.METHOD, request_serializer=batch_wire.raw, response_deserializer=batch_wire.raw
    )

    async def worker() -> None:
        while window.running():
            commands = [
                betting_pb2.BetCommand(correlation_id=str(i), place=_request(spec.players))
                for i in range(spec.batch_size)
            ]
            started = time.perf_counter()
            try:
                answer = await place_batch(
                    batch_wire.encode(commands), metadata=metadata, timeout=CALL_TIMEOUT_S
                )
            except grpc.aio.AioRpcError as error:
                if error.code() == grpc.StatusCode.UNIMPLEMENTED:
                    window.result.errors["UNIMPLEMENTED"] += 1
                    return  # the service has no PlaceBatch: nothing to measure
                window.error(_reason(error))
                continue
            for result in batch_wire.results(answer):
                if result.HasField("ok"):
                    window.ok(started)
                else:
                    window.error(_bet_error(result.error))

    await asyncio.gather(*(worker() for _ in range(spec.concurrency)))


def _bet_error(error: betting_pb2.BetError) -> str:
    code = grpc.StatusCode.UNKNOWN
    for candidate in grpc.StatusCode:
        if candidate.value[0] == error.code:
            code = candidate
    return f"{code.name}/{error.detail.reason}"


async def _streams(
    stub: betting_pb2_grpc.BettingServiceStub,
    metadata: tuple[tuple[str, str], ...],
    spec: LoadSpec,
    window: _Window,
) -> None:
    streams = max(1, -(-spec.concurrency // STREAM_WINDOW))
    shares = [
        spec.concurrency // streams + (i < spec.concurrency % streams) for i in range(streams)
    ]
    await asyncio.gather(*(_stream(stub, metadata, spec, window, share) for share in shares))


async def _stream(
    stub: betting_pb2_grpc.BettingServiceStub,
    metadata: tuple[tuple[str, str], ...],
    spec: LoadSpec,
    window: _Window,
    in_flight: int,
) -> None:
    slots = asyncio.Semaphore(in_flight)
    sent: dict[str, float] = {}

    async def commands() -> AsyncIterator[betting_pb2.BetCommand]:
        number = 0
        while True:
            await slots.acquire()
            if not window.running():
                return
            number += 1
            correlation = str(number)
            sent[correlation] = time.perf_counter()
            yield betting_pb2.BetCommand(correlation_id=correlation, place=_request(spec.players))

    call = stub.StreamBets(commands(), metadata=metadata)
    try:
        async for result in call:
            started = sent.pop(result.correlation_id)
            if result.HasField("ok"):
                window.ok(started)
            else:
                window.error(_bet_error(result.error))
            slots.release()
    except grpc.aio.AioRpcError as error:
        window.error(f"stream {_reason(error)}")


if __name__ == "__main__":
    main()
