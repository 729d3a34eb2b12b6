"""The service's snapshot-road batches over a measured window, from its own `/metrics`
(`croupier_bet_batch_bets` and `croupier_bet_batch_seconds`, adapters/prometheus/
placements.py): how many batches, how many bets a batch, and how long a batch's read,
decisions and write took on average. Read at the window's start and end, as the CPU counters
are (`BatchesMeter` wraps the meter `drive` reads), so a case says where its batches' time
went beside its bets/s: the database's two statements, or the serving process between them
(bench/README.md, 2026-12-05 07:42)."""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass

from cpu import CpuReading
from driving import Meter
from prometheus_client.parser import text_string_to_metric_families

_PHASES = ("read", "decide", "write")


@dataclass(frozen=True)
class Totals:
    """The histograms' counts and sums as the service last reported them."""

    batches: float = 0.0
    bets: float = 0.0
    seconds: tuple[float, float, float] = (0.0, 0.0, 0.0)  # read, decide, write

    def since(self, before: Totals) -> str:
        """What the batches between `before` and these totals were, in one line."""
        batches = self.batches - before.batches
        if batches <= 0:
            return "no snapshot-road batch"
        parts = " / ".join(
            f"{(now - then) * 1000 / batches:.2f}"
            for now, then in zip(self.seconds, before.seconds, strict=True)
        )
        return (
            f"{batches:.0f} {'batch' if batches == 1 else 'batches'},"
            f" {(self.bets - before.bets) / batches:.1f} bets a batch;"
            f" read / decide / write {parts} ms a batch"
        )


def parse(text: str) -> Totals:
    batches = bets = 0.0
    seconds = dict.fromkeys(_PHASES, 0.0)
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
    return Totals(batches, bets, (seconds["read"], seconds["decide"], seconds["write"]))


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
