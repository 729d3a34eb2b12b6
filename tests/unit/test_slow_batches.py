"""A slow bet batch's WARNING line (`adapters.slow_batches`): every batch still reaches the
metrics; a batch over the threshold is logged with its bets, parts and the part that held it;
while slow batches keep coming, one line every `every` seconds counts the ones between."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import REGISTRY

from adapters.slow_batches import SlowBatchLog
from entrypoints.composition.infrastructure import placement_timings
from entrypoints.settings import load_settings


class Recorded:
    def __init__(self) -> None:
        self.writes: list[tuple[int, float, float, float]] = []

    def written(self, bets: int, read: float, decide: float, write: float) -> None:
        self.writes.append((bets, read, decide, write))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "adapters.slow_batches"]


def test_every_batch_reaches_the_metrics_and_a_quick_one_logs_nothing(
    caplog: pytest.LogCaptureFixture, clock: Clock
) -> None:
    inner = Recorded()
    timings = SlowBatchLog(inner, 1.0, monotonic=clock)
    with caplog.at_level(logging.DEBUG):
        timings.written(14, 0.002, 0.002, 0.005)
        timings.written(3, 0.1, 0.2, 0.699)  # 0.999 s: just under
        timings.written(1, 0.5, 0.0, 1.5)
    assert inner.writes == [
        (14, 0.002, 0.002, 0.005),
        (3, 0.1, 0.2, 0.699),
        (1, 0.5, 0.0, 1.5),
    ]
    assert len(_lines(caplog)) == 1


def test_a_slow_batch_says_its_bets_parts_and_what_held_it(
    caplog: pytest.LogCaptureFixture, clock: Clock
) -> None:
    timings = SlowBatchLog(Recorded(), 0.5, monotonic=clock)
    with caplog.at_level(logging.WARNING):
        timings.written(14, 0.003, 0.004, 1.2)
        clock.now += 60
        timings.written(1, 0.9, 0.001, 0.002)
        clock.now += 60
        timings.written(100, 0.01, 0.75, 0.02)
    assert [r.levelno for r in caplog.records] == [logging.WARNING] * 3
    assert _lines(caplog) == [
        "slow bet batch: 14 bets in 1207 ms (read 3, decide 4, write 1200 ms), most of it "
        "waiting on the database's write and commit",
        "slow bet batch: 1 bet in 903 ms (read 900, decide 1, write 2 ms), most of it "
        "waiting on the database's snapshot read",
        "slow bet batch: 100 bets in 780 ms (read 10, decide 750, write 20 ms), most of it "
        "waiting on this process (its CPU or its event loop's backlog)",
    ]


def test_slow_batches_in_a_row_get_a_line_every_period_counting_the_rest(
    caplog: pytest.LogCaptureFixture, clock: Clock
) -> None:
    inner = Recorded()
    timings = SlowBatchLog(inner, 0.5, every=10.0, monotonic=clock)
    with caplog.at_level(logging.WARNING):
        for _ in range(60):  # a slow database: a slow batch every 0.6 s for 36 s
            timings.written(10, 0.0, 0.0, 0.6)
            clock.now += 0.6
    lines = _lines(caplog)
    assert len(inner.writes) == 60
    # At 0, 10.2, 20.4 and 30.6 s: the first at once, then one when 10 s have gone by since
    # the last; each counts the slow batches between.
    assert len(lines) == 4
    assert not lines[0].endswith("before")
    assert [line.rsplit("; ", 1)[1] for line in lines[1:]] == [
        "16 more slow batches in the 10 s before"
    ] * 3


def test_one_untold_batch_is_named_in_the_singular(
    caplog: pytest.LogCaptureFixture, clock: Clock
) -> None:
    timings = SlowBatchLog(Recorded(), 0.5, monotonic=clock)
    with caplog.at_level(logging.WARNING):
        timings.written(2, 0.0, 0.0, 0.7)
        clock.now += 3
        timings.written(2, 0.0, 0.0, 0.7)
        clock.now += 30
        timings.written(2, 0.0, 0.0, 0.7)
    assert _lines(caplog)[1].endswith("; 1 more slow batch in the 33 s before")


def test_the_threshold_is_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        SlowBatchLog(Recorded(), 0.0)


def _bets_counted() -> float:
    return REGISTRY.get_sample_value("croupier_bet_batch_bets_count") or 0.0


@pytest.mark.parametrize(
    ("environ", "logged"),
    [
        ({}, True),  # on by default, at a second
        ({"CROUPIER_SLOW_BATCH_MS": "250"}, True),
        ({"CROUPIER_SLOW_BATCH_MS": "0"}, False),
    ],
)
def test_the_composition_root_logs_slow_batches_as_the_setting_says(
    caplog: pytest.LogCaptureFixture, environ: dict[str, str], logged: bool
) -> None:
    timings = placement_timings(load_settings(environ))
    before = _bets_counted()
    with caplog.at_level(logging.WARNING):
        timings.written(3, 0.0, 0.0, 0.2)  # under every threshold here
        timings.written(3, 0.0, 0.0, 1.1)  # over the default's second
    assert _bets_counted() == before + 2  # the metrics are kept either way
    assert len(_lines(caplog)) == (1 if logged else 0)
