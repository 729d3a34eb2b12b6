"""Background jobs of `croupier run`: repeated until stopped, surviving a failed run."""

from __future__ import annotations

import asyncio
import logging

from entrypoints.process.periodic import every


async def test_a_job_repeats_survives_failures_and_stops_on_request(caplog):
    stop = asyncio.Event()
    runs: list[int] = []

    async def job() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("the database blinked")
        if len(runs) == 3:
            stop.set()

    with caplog.at_level(logging.ERROR):
        await asyncio.wait_for(every(0.001, job, stop, "test job"), timeout=10)
    assert runs == [0, 1, 2]
    assert "periodic job test job failed" in caplog.text


async def test_a_stopped_job_does_not_run_again():
    stop = asyncio.Event()
    stop.set()
    runs = 0

    async def job() -> None:
        nonlocal runs
        runs += 1

    await asyncio.wait_for(every(3600, job, stop, "never"), timeout=10)
    assert runs == 0


async def test_a_job_at_once_runs_before_its_first_interval():
    stop = asyncio.Event()
    runs = 0

    async def job() -> None:
        nonlocal runs
        runs += 1
        stop.set()

    # An hour's interval: only the first run, right away, can happen within the timeout.
    await asyncio.wait_for(every(3600, job, stop, "at once", at_once=True), timeout=10)
    assert runs == 1
