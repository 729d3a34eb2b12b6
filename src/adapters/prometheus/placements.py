"""A batch's bets and parts on the snapshot road as Prometheus histograms, for the
`PlacementTimings` of `adapters.postgres.placement_timings`, and the bet queue's waits before
its batches, for `application.ports.bet_queue_waits`."""

from __future__ import annotations

from typing import Final

from prometheus_client import Histogram

# From a bet alone to the largest batch a PlaceBatch message makes (its size is capped
# by the API: docs/api-grpc.md).
_SIZES: Final = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
# From a statement on an idle database (a tenth of a millisecond) to a write stuck behind a
# lock or a slow disk (public: the benchmark counts stalls at one of these bounds,
# bench/batches.py).
SECONDS_BUCKETS: Final = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
)

BATCH_BETS = Histogram(
    "croupier_bet_batch_bets",
    "Bets one write of the snapshot road decided at once, placed or refused: 1 for a bet "
    "alone, more for bets that arrived together (the bet queue's batches, a PlaceBatch "
    "message).",
    buckets=_SIZES,
)
BATCH_SECONDS = Histogram(
    "croupier_bet_batch_seconds",
    "Parts of one snapshot-road batch: `read` (the snapshot's round trip), `decide` (from "
    "its answer to the write's start: the decisions in Python and the event loop turns they "
    "waited for), `write` (place_bets' round trip, its commit included).",
    ["phase"],
    buckets=SECONDS_BUCKETS,
)
# Each phase's child, found once (`labels()` costs more than the observation).
_READ: Final = BATCH_SECONDS.labels("read")
_DECIDE: Final = BATCH_SECONDS.labels("decide")
_WRITE: Final = BATCH_SECONDS.labels("write")


class PrometheusPlacementTimings:
    def written(self, bets: int, read: float, decide: float, write: float) -> None:
        BATCH_BETS.observe(bets)
        _READ.observe(read)
        _DECIDE.observe(decide)
        _WRITE.observe(write)


BET_QUEUE_WAIT_SECONDS = Histogram(
    "croupier_bet_queue_wait_seconds",
    "How long a bet queue batch's longest-waiting bet waited from its submit to the batch's "
    "start: under 0.1 ms for a bet that found a slot free, about one batch's cycle under "
    "load; `lane` `bets` (calls grouped by the queue) or `message` (a PlaceBatch message).",
    ["lane"],
    buckets=SECONDS_BUCKETS,
)
_BETS_LANE: Final = BET_QUEUE_WAIT_SECONDS.labels("bets")
_MESSAGE_LANE: Final = BET_QUEUE_WAIT_SECONDS.labels("message")


class PrometheusBetQueueWaits:
    def started(self, waited: float, *, message: bool) -> None:
        (_MESSAGE_LANE if message else _BETS_LANE).observe(waited)
