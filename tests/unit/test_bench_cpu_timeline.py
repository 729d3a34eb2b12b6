"""bench/cpu_timeline.py reads `perf sched timehist` CPU by CPU and counts what each task ran
inside a bet's span (issue 19: how a lone bet's p99 was traced to the benchmark's own memory
sampler)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import cpu_timeline
from cpu_timeline import Timeline, roles, task_name

# Two CPUs. On CPU 0: idle to 10.000, the serving process 10.000-10.004, the relay
# 10.004-10.010, idle to 10.020. On CPU 1: a kernel thread 10.000-10.001, PostgreSQL
# 10.001-10.003, a grpc thread of the serving process 10.003-10.005, idle to 10.020.
TIMEHIST = """\
           time    cpu  task name                       wait time  sch delay   run time
                        [tid/pid]                          (msec)     (msec)     (msec)
--------------- ------  ------------------------------  ---------  ---------  ---------
   10.000000 [0000]  <idle>                              0.000      0.000    500.000
   10.001000 [0001]  kworker/1:1H-kb[46]                 0.000      0.005      1.000
   10.003000 [0001]  postgres[300]                       0.000      0.010      2.000
   10.004000 [0000]  croupier[100]                       0.000      0.020      4.000
   10.005000 [0001]  event_engine[101/100]               0.000      0.000      2.000
   10.010000 [0000]  python[200]                         0.000      0.000      6.000
   10.020000 [0000]  <idle>                              0.000      0.000     10.000
   10.020000 [0001]  <idle>                              0.000      0.000     15.000
"""


def test_task_names_keep_a_process_main_thread_apart_from_its_other_threads() -> None:
    assert task_name("croupier[100]") == "croupier[100]"
    assert task_name("event_engine[101/100]") == "event_engine[100] threads"
    assert task_name("kworker/1:1H-kb[46]") == "kernel threads"
    assert task_name("<idle>") == "<idle>"


def test_what_ran_inside_a_span_is_each_runs_overlap_with_it() -> None:
    timeline = Timeline(TIMEHIST)
    inside = timeline.ran_inside(10.002, 10.006)
    assert inside == pytest.approx(
        {
            "croupier[100]": 2.0,  # 10.002-10.004
            "python[200]": 2.0,  # 10.004-10.006
            "postgres[300]": 1.0,  # 10.002-10.003
            "event_engine[100] threads": 2.0,  # 10.003-10.005
            "<idle>": 1.0,  # CPU 1, 10.005-10.006
        }
    )
    # A run that began long before the span (the first idle, 500 ms) is counted for its part.
    assert timeline.ran_inside(9.9, 10.0) == pytest.approx({"<idle>": 100.0})


def test_the_summary_compares_the_slow_bets_with_the_typical_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Wall clock = CLOCK_MONOTONIC + 1000: the trace's start at 1010 is 10.000 in perf's time.
    (tmp_path / cpu_timeline.CLOCKS).write_text("1000\n")
    (tmp_path / cpu_timeline.RECORDING).write_text("")
    bets = [[0.0001, 1.0]] * 98 + [[0.004, 6.0], [0.004, 6.0]]  # two slow bets in the relay's run
    (tmp_path / "loadgen-7.json").write_text(json.dumps({"start": 1010.0, "bets": bets}))
    (tmp_path / "proc-200.txt").write_text("argv -c relay --stop-with-parent\n")
    (tmp_path / "proc-100.txt").write_text("argv /x/croupier run --keep-servers\n")

    class Done:
        stdout = TIMEHIST

    monkeypatch.setattr(cpu_timeline.subprocess, "run", lambda *a, **k: Done())
    lines = cpu_timeline.summary(tmp_path)
    slow = lines[: lines.index(next(line for line in lines[1:] if "p50" in line))]
    assert "bets at or over p99 (6.0 ms): 2 bets" in slow[0]
    # 10.004-10.010: the relay ran 6 ms of each slow bet's 6, named by its probe.
    assert any(line.split()[:2] == ["python[200]", "relay"] and "6.00" in line for line in slow)
    assert roles(tmp_path) == {"200": "relay", "100": "serving"}
