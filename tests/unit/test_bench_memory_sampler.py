"""bench/memory.py's sampler reads only RSS between its slow turns: the process tree and PSS
(`smaps_rollup`, a walk of every page table under the memory map's lock) every few seconds
and when a case's peaks are taken. Read every 0.1 s, they set a lone bet's p99 (issue 19,
bench/README.md, 2026-12-04, 21:36)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psutil
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import memory


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    counted = {"tree": 0, "pss": 0}
    tree, pss = memory._python_tree, memory._pss

    def counted_tree(root: psutil.Process) -> list[psutil.Process]:
        counted["tree"] += 1
        return tree(root)

    def counted_pss(pid: int) -> int | None:
        counted["pss"] += 1
        return pss(pid)

    monkeypatch.setattr(memory, "_python_tree", counted_tree)
    monkeypatch.setattr(memory, "_pss", counted_pss)
    return counted


def test_between_slow_turns_only_rss_is_read(reads: dict[str, int]) -> None:
    # An interval the sampler's own thread never reaches: the reads below are the test's.
    sampler = memory.MemorySampler(os.getpid(), interval=3600)
    try:
        sampler._read(slow=False)  # the first read finds the tree, with no PSS
        assert reads == {"tree": 1, "pss": 0}
        for _ in range(5):
            sampler._read(slow=False)
        assert reads == {"tree": 1, "pss": 0}

        peaks = sampler.take()  # a case's end: the tree and PSS read once more
        assert reads == {"tree": 2, "pss": 1}
        own = peaks.processes[os.getpid()]
        assert own.role == "serving"
        assert own.rss > 0
        assert own.pss > 0
        assert peaks.total_rss >= own.rss
    finally:
        sampler.close()


def test_the_sum_of_pss_keeps_each_process_last_pss_between_slow_turns(
    reads: dict[str, int],
) -> None:
    sampler = memory.MemorySampler(os.getpid(), interval=3600)
    try:
        sampler.take()
        pss = sampler._pss[os.getpid()]
        assert pss is not None
        sampler._read(slow=False)
        # Had RSS stood in for the PSS read before, the sum's peak would be RSS (larger).
        assert sampler.take().total_pss <= max(pss, sampler._pss[os.getpid()] or 0)
    finally:
        sampler.close()


def test_the_thread_takes_a_slow_turn_every_slow_interval(reads: dict[str, int]) -> None:
    sampler = memory.MemorySampler(os.getpid(), interval=0.01, slow_interval=0.05)
    assert sampler._slow_every == 5
    sampler.close()
