"""The whole machine's CPU over a measured window, not only the service's and PostgreSQL's:
Valkey's (the relay's publishes: two to three commands an event), the load generators' (this
benchmark's own clients, on the same cores), whatever else ran, and how much of the machine
stayed idle. Read at the window's start and end, as the CPU counters are (`MachineMeter`
wraps the meter `drive` reads).

A target's bets/s is bounded by the CPU every bet costs the machine, whoever spends it: at
`all` milliseconds a bet, N CPUs fill at N × 1000 / `all` bets/s. The window's idle share says
how far a case was from that bound (a closed loop of 32 callers can leave CPUs idle while it
waits on its answers), so a case's rate can be read as CPU-bound or latency-bound."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import redis
from cpu import CpuReading, per_bet_ms, tree_cpu
from driving import Meter

_PROC_STAT = Path("/proc/stat")
_TICKS = os.sysconf("SC_CLK_TCK")  # /proc/stat's unit (Linux, as /proc/stat is)


def machine_seconds(text: str) -> tuple[float, float]:
    """The machine's busy and total CPU seconds since boot from `/proc/stat`'s first line
    (user nice system idle iowait irq softirq steal ...): idle and iowait are not busy; the
    guest columns are inside user and nice already, so they are left out."""
    words = text.split("\n", 1)[0].split()
    if not words or words[0] != "cpu":
        raise ValueError("not /proc/stat: its first line is not the CPUs' totals")
    ticks = [int(w) for w in words[1:9]] + [0] * max(0, 9 - len(words))
    user, nice, system, idle, iowait, irq, softirq, steal = ticks[:8]
    busy = user + nice + system + irq + softirq + steal
    return busy / _TICKS, (busy + idle + iowait) / _TICKS


def load_generators_cpu() -> float:
    """CPU seconds used so far by this process's living load generators (`loadgen.py`)."""
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if any(word.endswith("loadgen.py") for word in child.cmdline()):
                times = child.cpu_times()
                total += times.user + times.system
    return total


@dataclass(frozen=True, slots=True)
class MachineReading:
    busy: float  # the machine's busy CPU seconds
    total: float  # ... and all of them, idle included
    parts: dict[str, float] = field(default_factory=dict)  # role -> CPU seconds


@dataclass(frozen=True, slots=True)
class MachineWindow:
    """What a window cost the machine, milliseconds of CPU a bet, beside the service's and
    PostgreSQL's (`all` is everything the machine ran; `other` what no named part did)."""

    all_ms: float
    parts_ms: dict[str, float]
    other_ms: float
    idle: float  # the share of the machine's CPU time left idle, 0-1
    cpus: int

    @property
    def bound(self) -> float:
        """Bets/s that would fill every CPU at this CPU a bet."""
        return self.cpus * 1000 / self.all_ms if self.all_ms > 0 else float("inf")

    def describe(self) -> str:
        named = ", ".join(f"{name} {ms:.3f}" for name, ms in self.parts_ms.items())
        return (
            f"the machine {self.all_ms:.3f} ms of CPU a bet (besides the service and"
            f" PostgreSQL: {named + ', ' if named else ''}other {self.other_ms:.3f}),"
            f" {self.idle:.0%} idle; {self.cpus} CPUs full at {self.bound:,.0f} bets/s"
        )


def window(
    start: tuple[CpuReading, MachineReading],
    end: tuple[CpuReading, MachineReading],
    bets: int,
    cpus: int,
) -> MachineWindow | None:
    """The window between two readings; None without bets or without the machine's time."""
    (cpu_0, machine_0), (cpu_1, machine_1) = start, end
    elapsed = machine_1.total - machine_0.total
    if bets <= 0 or elapsed <= 0:
        return None

    def ms(before: float, after: float) -> float:
        return (after - before) / bets * 1000

    all_ms = ms(machine_0.busy, machine_1.busy)
    parts = {
        name: ms(used, machine_1.parts[name])
        for name, used in machine_0.parts.items()
        if name in machine_1.parts
    }
    # The service's and PostgreSQL's columns, as drive() reads them (an unknown one as 0).
    service_ms, postgres_ms = per_bet_ms(cpu_0, cpu_1, bets)
    counted = (service_ms or 0.0) + (postgres_ms or 0.0)
    return MachineWindow(
        all_ms=all_ms,
        parts_ms=parts,
        other_ms=max(0.0, all_ms - counted - sum(parts.values())),
        idle=max(0.0, 1 - (machine_1.busy - machine_0.busy) / elapsed),
        cpus=cpus,
    )


def redis_process(redis_url: str) -> tuple[str, int] | None:
    """The Redis server's name ("Valkey" or "Redis") and pid when it runs on this machine
    (`INFO server`'s `process_id`, checked to be a living process named like one), else None:
    its CPU is then in "other", or not on this machine at all."""
    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=2)
        try:
            pid = int(client.info("server")["process_id"])
        finally:
            client.close()
    except (redis.RedisError, OSError, KeyError, ValueError):
        return None
    with contextlib.suppress(psutil.Error):
        name = psutil.Process(pid).name()
        if "valkey" in name:
            return "Valkey", pid
        if "redis" in name:
            return "Redis", pid
    return None


class MachineMeter:
    """A `Meter` that also reads the machine's counters at each reading: `window(bets)`
    then describes the last window (its last two readings)."""

    def __init__(self, meter: Meter, server: tuple[str, int] | None = None) -> None:
        self._meter = meter
        self._server = server
        self._readings: list[tuple[CpuReading, MachineReading]] = []
        self.cpus = psutil.cpu_count() or 1

    def read(self) -> CpuReading:
        reading = self._meter.read()
        parts: dict[str, float] = {"load generators": load_generators_cpu()}
        if self._server is not None:
            name, pid = self._server
            with contextlib.suppress(psutil.Error):
                parts = {name: tree_cpu(pid), **parts}
        busy, total = machine_seconds(_PROC_STAT.read_text())
        self._readings.append((reading, MachineReading(busy, total, parts)))
        return reading

    def window(self, bets: int) -> MachineWindow | None:
        """The last window's cost to the machine, and forget the readings."""
        readings, self._readings = self._readings[-2:], []
        if len(readings) < 2:
            return None
        return window(readings[0], readings[1], bets, self.cpus)

    def note(self, bets: int) -> str:
        """`window(bets)` in words, or "" when it was not read."""
        whole = self.window(bets)
        return whole.describe() if whole is not None else ""
