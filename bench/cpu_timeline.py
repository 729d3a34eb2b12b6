"""What ran on the machine while a run's slow bets waited: the kernel's scheduler, recorded
with `perf sched` over a measured window, read against the load generator's trace
(`service_cost.py --trace DIR --sched`).

For the bets at or over the run's p99 and for those at or under its p50, it prints the CPU
time each task (a process, or the other threads of one) ran inside a bet's span, on average a
bet, and the machine's idle time: a task that runs far more inside the slow bets than inside
the others is what they waited for. It found the memory sampler of this very benchmark
setting a lone bet's p99 (bench/README.md, 2026-12-04, 21:36), which the collector and loop-lag
probes (`stall_probe/`, stalls.py) could not see: it ran in another process.

    .venv/bin/python bench/cpu_timeline.py bench/.data/trace/run-1 [bench/.data/trace]

Needs `perf` and the right to trace the whole machine (root, or perf_event_paranoid <= -1);
without them `record` says so and returns None. perf's clock is CLOCK_MONOTONIC, the trace's
the wall clock: `record` writes their difference beside the recording. A recording takes ~2 MB
of disk a second of a loaded machine (`perf.sched` in the run's folder)."""

from __future__ import annotations

import atexit
import bisect
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from driving import percentiles

RECORDING = "perf.sched"
CLOCKS = "clocks.txt"  # wall clock minus CLOCK_MONOTONIC when the recording started
# A timehist line: time, cpu, task (comm[tid] or comm[tid/pid]), wait, delay, run (ms).
_LINE = re.compile(r"^\s*(\d+\.\d+)\s+\[(\d+)\]\s+(.+?)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$")
_TASK = re.compile(r"^(.*)\[(\d+)(?:/(\d+))?\]$")
_KERNEL = ("kworker", "ksoftirq", "rcu_", "migration", "kdamond", "kcompactd", "khugepaged")


def record(folder: Path, seconds: float = 3600) -> subprocess.Popen[bytes] | None:
    """Start recording the scheduler's switches into `folder`, for at most `seconds` or until
    `stop`; None (said why) when perf is missing or may not trace."""
    perf = shutil.which("perf")
    if perf is None:
        print("  sched: no perf on this machine; not recorded", flush=True)
        return None
    (folder / CLOCKS).write_text(f"{time.time() - time.monotonic()}\n")
    record_command = [perf, "sched", "record", "-k", "CLOCK_MONOTONIC", "-a"]
    process = subprocess.Popen(
        [*record_command, "-o", str(folder / RECORDING), "--", "sleep", f"{seconds:.1f}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(0.5)  # perf sets up its buffers before the window starts
    if process.poll() is not None:
        error = (process.stderr.read() if process.stderr else b"").decode(errors="replace")
        print(f"  sched: perf could not record: {error.strip()[:200]}", flush=True)
        return None
    # A run that fails before `stop` must not leave perf recording the machine for an hour.
    atexit.register(stop, process)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a recording (perf writes its file on SIGINT); a no-op once it has ended."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def roles(*folders: Path) -> dict[str, str]:
    """What each traced Python process was (`pid` -> role), from the probes' `argv` lines."""
    found = {}
    for folder in folders:
        for probe in folder.glob("proc-*.txt"):
            with probe.open() as lines:
                argv = lines.readline().removeprefix("argv ")
            pid = probe.stem.removeprefix("proc-")
            if " relay" in argv:
                found[pid] = "relay"
            elif "loadgen" in argv:
                found[pid] = "load generator"
            elif " run" in argv:
                found[pid] = "serving"
    return found


@dataclass(frozen=True, slots=True)
class Slice:
    """A task's run on a CPU, from `begin` to `end` (CLOCK_MONOTONIC, s)."""

    begin: float
    end: float
    task: str


def task_name(task: str) -> str:
    """Threads of a process other than its main one are one name (`comm[pid] threads`); the
    kernel's own threads one name for all."""
    match = _TASK.match(task)
    if match is None:
        return task
    comm, tid, pid = match.group(1), match.group(2), match.group(3) or match.group(2)
    if comm.startswith(_KERNEL):
        return "kernel threads"
    return f"{comm}[{pid}]" if tid == pid else f"{comm}[{pid}] threads"


class Timeline:
    """`perf sched timehist`'s runs, CPU by CPU: on one CPU they follow one another, so the
    runs inside a span are found by bisection."""

    def __init__(self, timehist: str) -> None:
        cpus: dict[str, list[Slice]] = defaultdict(list)
        for line in timehist.splitlines():
            match = _LINE.match(line)
            if match is not None:
                end, ran = float(match.group(1)), float(match.group(6)) / 1000
                cpus[match.group(2)].append(Slice(end - ran, end, task_name(match.group(3))))
        self._cpus = [sorted(runs, key=lambda run: run.end) for runs in cpus.values()]
        self._ends = [[run.end for run in runs] for runs in self._cpus]

    def ran_inside(self, start: float, stop: float) -> dict[str, float]:
        """Milliseconds each task ran between `start` and `stop` (CLOCK_MONOTONIC, s)."""
        inside: dict[str, float] = defaultdict(float)
        for runs, ends in zip(self._cpus, self._ends, strict=True):
            at = bisect.bisect_left(ends, start)
            while at < len(runs) and runs[at].begin < stop:
                run = runs[at]
                overlap = min(run.end, stop) - max(run.begin, start)
                if overlap > 0:
                    inside[run.task] += overlap * 1000
                at += 1
        return inside


def summary(
    folder: Path, processes: Path | None = None, known: dict[str, str] | None = None, top: int = 12
) -> list[str]:
    """For each load generator's trace in `folder`: the tasks that ran inside its slow bets
    and inside its typical ones, ms a bet on average; the Python processes named by their
    probes in `folder` and `processes` (where the service's are, as stalls.py reads them) and
    in `known` (pid -> role)."""
    recording = folder / RECORDING
    if not recording.exists():
        return []
    timehist = subprocess.run(
        ["perf", "sched", "timehist", "-i", str(recording)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    timeline = Timeline(timehist)
    offset = float((folder / CLOCKS).read_text())
    named = roles(folder, *([processes] if processes else [])) | (known or {})
    lines = []
    for load in sorted(folder.glob("loadgen-*.json")):
        trace = json.loads(load.read_text())
        bets = trace["bets"]
        if not bets:
            continue
        p50, p99 = percentiles([latency for _, latency in bets])
        start = trace["start"] - offset
        for label, chosen in (
            (f"bets at or over p99 ({p99:.1f} ms)", [b for b in bets if b[1] >= p99]),
            (f"bets at or under p50 ({p50:.1f} ms)", [b for b in bets if b[1] <= p50]),
        ):
            totals: dict[str, float] = defaultdict(float)
            for at, latency in chosen:
                begin = start + at
                for task, ms in timeline.ran_inside(begin, begin + latency / 1000).items():
                    totals[task] += ms
            mean = sum(latency for _, latency in chosen) / len(chosen)
            lines.append(
                f"{load.name}: {label}: {len(chosen)} bets, {mean:.1f} ms on average; "
                "CPU ms a bet each task ran inside them:"
            )
            for task, ms in sorted(totals.items(), key=lambda item: -item[1])[:top]:
                pid = _TASK.match(task.removesuffix(" threads"))
                role = named.get(pid.group(2), "") if pid else ""
                lines.append(f"    {task:<36} {role:<15} {ms / len(chosen):7.2f}")
    return lines


if __name__ == "__main__":
    given = [Path(arg) for arg in sys.argv[1:3]]
    print("\n".join(summary(given[0], given[1] if len(given) > 1 else None)))
