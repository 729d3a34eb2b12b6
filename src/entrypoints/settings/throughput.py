"""How much work a process takes on at once: house shards, bet batches, the outbox relay and
the events stream."""

from __future__ import annotations

from pydantic.dataclasses import dataclass

from entrypoints.settings.declaring import CONFIG, setting


@dataclass(frozen=True, config=CONFIG)
class Throughput:
    """Throughput"""

    house_shards: int = setting(
        16,
        doc="How many shards each house account has; more shards, less contention between "
        "concurrent bets.",
        ge=1,
        le=1024,
    )
    bet_batch_size: int = setting(
        64,
        doc="The most bets one transaction places when bets arrive together (from every door); "
        "see docs/throughput.md. Crash bets and cash-outs batch the same way (docs/fairness.md).",
        ge=1,
        le=1000,
    )
    bet_batches: int = setting(
        1,
        doc="How many such transactions run at once per process. A bet that finds one free "
        "starts at once; bets arriving while all are busy go together in the next. More than "
        "one splits the bets in flight into smaller batches, each costing more CPU a bet, and "
        "lets batches meet on the house rows (measured: 1 beats 2 on two cores, even with "
        "batches kept off each other's house rows; bench/README.md).",
        ge=1,
        le=64,
    )
    bet_message_batches: int = setting(
        2,
        doc="How many PlaceBatch messages (each one transaction of its own, whatever its size) "
        "are placed at once per process, beside the batches above: a second one splits "
        "nothing and lets one message be decided while another is written (measured: "
        "PlaceBatch bets/s +16-63% in six of seven pairs at 2 against 1 on two cores; "
        "bench/README.md). A message waits while a running batch holds one of its players; "
        "later work sharing its players passes it twice at most, which bounds its wait.",
        ge=1,
        le=64,
    )
    bet_queue_limit: int = setting(
        10_000,
        doc="How many bets may wait in a process's bet queue for a batch; a bet past it is "
        "refused at once, nothing written (`overloaded`: gRPC UNAVAILABLE, HTTP 503, the "
        "bot's apology), and may be repeated with the same bet id. The queue waits only "
        "while the database is slow or away; without a bound, callers that time out and "
        "retry would queue every retry (0.8 kB each) and leave a backlog that outlives the "
        "stall. 10,000 is several seconds of bets at this service's peak.",
        ge=64,
        le=1_000_000,
    )
    uvloop: bool = setting(
        True,
        doc="Run `croupier run`'s event loop on uvloop (libuv) instead of asyncio's own: less "
        "CPU per call on the gRPC and HTTP parts (see bench/README.md). Off: the standard loop.",
    )
    gc_threshold: int = setting(
        10_000,
        doc="Allocations between two passes of Python's garbage collector over young objects "
        "in `croupier run`'s processes and `croupier relay` (Python's default: 700, whose "
        "frequent passes cost a fifth of the CPU under load). grpc.aio leaves a small "
        "reference cycle a call that only a pass frees, so a pass's length grows with this "
        "number (~1 ms a thousand; at 50,000 a 50-60 ms pause every few seconds set the p99 at "
        "half of peak; see bench/README.md); the gRPC server avoids that cycle with the grpcio "
        "release it was checked against (1.85, `entrypoints/grpc/method_lookup.py`), and then "
        "its passes free next to nothing. Start-up's objects are also frozen out of its passes.",
        ge=700,
        le=10_000_000,
    )
    relay_poll_interval_ms: int = setting(
        50,
        doc="How long (ms) the outbox relay waits before looking again when it found nothing to "
        "publish: the latency of an event in a quiet moment.",
        ge=1,
        le=10_000,
    )
    relay_in_process: bool = setting(
        False,
        doc="Run the outbox relay inside the `croupier run` process rather than as a child "
        "process of its own (`croupier relay`, started and stopped with it): one process less "
        "for a small deployment, at the cost of the relay's CPU in the serving process.",
    )
    relay_batch_size: int = setting(
        500,
        doc="Most outbox rows (each the events of one unit of work) the relay publishes in one "
        "Redis round trip; fewer when the rows are large (a batch reads about 128 kB of stored "
        "events at most: docs/events.md).",
        ge=1,
        le=10_000,
    )
    events_stream_max_length: int = setting(
        1_000_000,
        doc="The Redis stream `croupier:events` is trimmed to about this many entries "
        "(`XADD MAXLEN ~`); older events stay in the outbox table.",
        ge=1000,
        le=1_000_000_000,
    )
    outbox_retention_days: int = setting(
        30,
        doc="How many days `croupier outbox prune` keeps published outbox rows: the events' "
        "history, from which a consumer further behind than the Redis stream catches up; "
        "reconcile checks events only that far back. Unpublished rows are never deleted.",
        ge=1,
        le=36_500,
    )
