"""bench/batches.py reads the service's batch histograms from its /metrics at a window's start
and end, and says what the window's batches were: how many, bets a batch, and each part's
mean (issue 19)."""

from __future__ import annotations

import http.server
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from batches import STALL, BatchesMeter, Totals, parse
from cpu import CpuReading

from adapters.prometheus.placements import SECONDS_BUCKETS


def _exposition(
    batches: list[tuple[int, float, float, float]], waits: Sequence[tuple[str, float]] = ()
) -> str:
    """The text a service that placed these batches, and whose bet queue's batches waited
    these (lane, seconds), serves (the metrics' own names)."""
    registry = CollectorRegistry()
    bets = Histogram("croupier_bet_batch_bets", "bets", registry=registry)
    seconds = Histogram(
        "croupier_bet_batch_seconds",
        "parts",
        ["phase"],
        registry=registry,
        buckets=SECONDS_BUCKETS,
    )
    for size, read, decide, write in batches:
        bets.observe(size)
        seconds.labels("read").observe(read)
        seconds.labels("decide").observe(decide)
        seconds.labels("write").observe(write)
    if waits:
        waited = Histogram(
            "croupier_bet_queue_wait_seconds",
            "waits",
            ["lane"],
            registry=registry,
            buckets=SECONDS_BUCKETS,
        )
        for lane, wait in waits:
            waited.labels(lane).observe(wait)
    return generate_latest(registry).decode()


def test_the_totals_are_the_histograms_counts_and_sums() -> None:
    totals = parse(_exposition([(10, 0.002, 0.001, 0.004), (20, 0.004, 0.003, 0.006)]))
    assert totals.batches == 2
    assert totals.bets == 30
    assert totals.seconds == pytest.approx((0.006, 0.004, 0.010))


def test_a_window_is_its_batches_means() -> None:
    before = parse(_exposition([(5, 1.0, 1.0, 1.0)]))
    after = parse(
        _exposition([(5, 1.0, 1.0, 1.0), (12, 0.003, 0.002, 0.005), (14, 0.001, 0.0, 0.003)])
    )
    assert after.since(before) == (
        "2 batches, 13.0 bets a batch; read / decide / write 2.00 / 1.00 / 4.00 ms a batch;"
        " no part over 50 ms"
    )
    assert before.since(before) == "no snapshot-road batch"


def test_a_stall_is_counted_at_one_of_the_services_bounds() -> None:
    # Between two bounds the count would be a guess.
    assert STALL in SECONDS_BUCKETS


def test_a_window_counts_its_stalls_by_part_and_names_the_slowest_bucket() -> None:
    # A stall before the window is not the window's; in it, two slow writes (0.3 s and 0.07 s)
    # and one slow decision; a part of exactly 50 ms is not over it.
    before = parse(_exposition([(4, 0.002, 0.001, 0.9)]))
    after = parse(
        _exposition(
            [
                (4, 0.002, 0.001, 0.9),
                (4, 0.002, 0.001, 0.3),
                (3, 0.001, 0.002, 0.07),
                (5, 0.05, 0.06, 0.004),
                (2, 0.001, 0.001, 0.003),
            ]
        )
    )
    assert after.stalls_since(before) == (
        "parts over 50 ms: decide 1 (the slowest at most 100 ms),"
        " write 2 (the slowest at most 500 ms)"
    )
    assert before.stalls_since(parse(_exposition([]))) == (
        "parts over 50 ms: write 1 (the slowest at most 1 s)"
    )
    beyond = parse(_exposition([(1, 0.001, 0.001, 2.5)]))
    assert beyond.stalls_since(Totals()) == "parts over 50 ms: write 1 (the slowest over 1 s)"
    assert after.since(before).endswith("write 2 (the slowest at most 500 ms)")


def test_a_window_reads_the_queues_waits_over_both_lanes_and_counts_a_long_one() -> None:
    before = parse(_exposition([], [("bets", 0.5)]))
    after = parse(
        _exposition(
            [(6, 0.001, 0.001, 0.002), (100, 0.002, 0.004, 0.03)],
            [("bets", 0.5), ("bets", 0.002), ("bets", 0.07), ("message", 0.003)],
        )
    )
    assert after.queued == 4
    assert after.waited == pytest.approx(0.575)
    assert after.since(before) == (
        "2 batches, 53.0 bets a batch; read / decide / write 1.50 / 2.50 / 16.00 ms a batch;"
        " waited 25.00 ms a batch before it began (its longest-waiting bet);"
        " parts over 50 ms: wait 1 (the slowest at most 100 ms)"
    )
    # A service that tells no wait (an older one): the line says nothing of it.
    assert "waited" not in parse(_exposition([(2, 0.001, 0.001, 0.001)])).since(Totals())


class _Counters:
    def read(self) -> CpuReading:
        return CpuReading(1.0, 2.0)


@pytest.fixture
def metrics_server() -> Iterator[tuple[int, list[str]]]:
    """A /metrics endpoint serving the next text of `pages` at each request."""
    pages: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.pop(0).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], pages
    server.shutdown()


def test_the_meter_reads_the_counters_and_the_batches_at_each_reading(metrics_server) -> None:
    port, pages = metrics_server
    pages += [_exposition([]), _exposition([(8, 0.002, 0.001, 0.003)])]
    meter = BatchesMeter(_Counters(), port)
    assert meter.read() == CpuReading(1.0, 2.0)
    meter.read()
    assert meter.window() == (
        "1 batch, 8.0 bets a batch; read / decide / write 2.00 / 1.00 / 3.00 ms a batch;"
        " no part over 50 ms"
    )


def test_a_service_without_metrics_says_so() -> None:
    meter = BatchesMeter(_Counters(), 1)  # nothing listens on port 1
    meter.read()
    meter.read()
    assert meter.window().startswith("batches: not read")
    assert Totals().since(Totals()) == "no snapshot-road batch"
