"""The service's snapshot-road batches over a measured window, from its own `/metrics`
(`croupier_bet_batch_bets` and `croupier_bet_batch_seconds`, adapters/prometheus/
placements.py): how many batches, how many bets a batch, and how long a batch's read,
decisions and write took on average. Read at the window's start and end, as the CPU counters
are (`BatchesMeter` wraps the meter `drive` reads), so a case says where its batches' time
went beside its bets/s: the database's two statements, or the serving process between them
(bench/README.md, 2026-12-05 07:42). A mean hides a stall, so the window also counts the
batches whose part took over `STALL` and names the bucket of the slowest: a latency window's
tail that rode one slow write (the commit's flush waiting on the disk) is told from one that
rode a slow read or a serving loop that did not run the decisions (2026-12-05 16:00). A bet's
wait in the bet queue before its batch began is read too (`croupier_bet_queue_wait_seconds`,
each batch's longest-waiting bet, both lanes), and counted as a stall past `STALL` like a part
(`wait`): a window can read a high p99 with no part over `STALL` (17:08), when its bets piled
up behind batches that were each a little slow. A stall after a batch (its answers going out,
the load generator) is still seen by none of these."""

from __future__ import annotations

import math
import urllib.request
from dataclasses import dataclass, field

from cpu import CpuReading
from driving import Meter
from prometheus_client.parser import text_string_to_metric_families

_PHASES = ("read", "decide", "write")
_WAIT = "wait"  # the bet queue's wait before a batch, kept beside the parts' buckets
# A part of a batch over this is a stall: twice the p99 the half-of-peak target allows, and
# ten times a unary batch's write at 32 in flight (a histogram bucket's bound, so it is counted
# exactly).
STALL = 0.05


@dataclass(frozen=True)
class Totals:
    """The histograms' counts and sums as the service last reported them."""

    batches: float = 0.0
    bets: float = 0.0
    seconds: tuple[float, float, float] = (0.0, 0.0, 0.0)  # read, decide, write
    # The bet queue's batches (both lanes) and their longest waits' sum, in seconds.
    queued: float = 0.0
    waited: float = 0.0
    # Each part's cumulative bucket counts, (upper bound, batches at most that long), +Inf
    # included, as the histogram reports them.
    buckets: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)

    def since(self, before: Totals) -> str:
        """What the batches between `before` and these totals were, in one line."""
        batches = self.batches - before.batches
        if batches <= 0:
            return "no snapshot-road batch"
        parts = " / ".join(
            f"{(now - then) * 1000 / batches:.2f}"
            for now, then in zip(self.seconds, before.seconds, strict=True)
        )
        queued = self.queued - before.queued
        wait = (
            f"; waited {(self.waited - before.waited) * 1000 / queued:.2f} ms a batch before it"
            " began (its longest-waiting bet)"
            if queued > 0
            else ""
        )
        return (
            f"{batches:.0f} {'batch' if batches == 1 else 'batches'},"
            f" {(self.bets - before.bets) / batches:.1f} bets a batch;"
            f" read / decide / write {parts} ms a batch{wait}; {self.stalls_since(before)}"
        )

    def stalls_since(self, before: Totals) -> str:
        """The parts over `STALL` since `before`: how many batches, and the slowest one's bucket."""
        said = []
        for phase in (*_PHASES, _WAIT):
            now, then = dict(self.buckets.get(phase, ())), dict(before.buckets.get(phase, ()))
            grown = {le: count - then.get(le, 0.0) for le, count in now.items()}
            over = grown.get(math.inf, 0.0) - grown.get(STALL, 0.0)
            if over <= 0:
                continue
            # The smallest bound that holds every batch of the window is the slowest's bucket.
            slowest = min(le for le, count in grown.items() if count >= grown[math.inf])
            bound = "over 1 s" if slowest == math.inf else f"at most {_ms(slowest)}"
            said.append(f"{phase} {over:.0f} (the slowest {bound})")
        if not said:
            return f"no part over {_ms(STALL)}"
        return f"parts over {_ms(STALL)}: " + ", ".join(said)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 1 else f"{seconds:g} s"


def parse(text: str) -> Totals:
    batches = bets = queued = waited = 0.0
    seconds = dict.fromkeys(_PHASES, 0.0)
    buckets: dict[str, list[tuple[float, float]]] = {phase: [] for phase in _PHASES}
    waits: dict[float, float] = {}  # the two lanes' buckets added up, by bound
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "croupier_bet_batch_bets_count":
                batches = sample.value
            elif sample.name == "croupier_bet_batch_bets_sum":
                bets = sample.value
            elif sample.name == "croupier_bet_batch_seconds_sum":
                phase = sample.labels.get("phase", "")
                if phase in seconds:
                    seconds[phase] = sample.value
            elif sample.name == "croupier_bet_batch_seconds_bucket":
                phase = sample.labels.get("phase", "")
                if phase in buckets:
                    buckets[phase].append((float(sample.labels["le"]), sample.value))
            elif sample.name == "croupier_bet_queue_wait_seconds_count":
                queued += sample.value
            elif sample.name == "croupier_bet_queue_wait_seconds_sum":
                waited += sample.value
            elif sample.name == "croupier_bet_queue_wait_seconds_bucket":
                bound = float(sample.labels["le"])
                waits[bound] = waits.get(bound, 0.0) + sample.value
    if waits:
        buckets[_WAIT] = sorted(waits.items())
    return Totals(
        batches,
        bets,
        (seconds["read"], seconds["decide"], seconds["write"]),
        queued,
        waited,
        {phase: tuple(counts) for phase, counts in buckets.items() if counts},
    )


def scrape(http_port: int, timeout: float = 5.0) -> Totals | None:
    """The service's totals now; None when its `/metrics` does not answer."""
    url = f"http://127.0.0.1:{http_port}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return parse(reply.read().decode())
    except OSError:
        return None


class BatchesMeter:
    """A `Meter` that also scrapes the service's batch totals at each reading: after `drive`,
    `window()` describes the batches between the window's start and end."""

    def __init__(self, meter: Meter, http_port: int) -> None:
        self._meter = meter
        self._port = http_port
        self._readings: list[Totals | None] = []

    def read(self) -> CpuReading:
        self._readings.append(scrape(self._port))
        return self._meter.read()

    def window(self) -> str:
        """The last window's batches (its last two readings), and forget them."""
        readings, self._readings = self._readings[-2:], []
        if len(readings) < 2 or readings[0] is None or readings[1] is None:
            return "batches: not read (the service's /metrics did not answer)"
        return readings[1].since(readings[0])
