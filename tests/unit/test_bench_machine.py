"""bench/machine.py: what a measured window cost the whole machine a bet, beside the service's
and PostgreSQL's CPU: the Redis server's, the load generators', whatever else ran, the idle
share, and the rate at which that CPU a bet would fill every CPU (issue 19)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from cpu import CpuReading
from machine import (
    _TICKS,
    MachineMeter,
    MachineReading,
    load_generators_cpu,
    machine_seconds,
    window,
)

_STAT = "cpu  100 20 30 400 50 6 4 0 7 0\ncpu0 50 10 15 200 25 3 2 0 0 0\n"


def test_busy_is_every_column_but_idle_and_iowait_and_the_guests() -> None:
    busy, total = machine_seconds(_STAT)
    ticks = 100 + 20 + 30 + 6 + 4 + 0  # user nice system irq softirq steal; not guest's 7
    assert busy == pytest.approx(ticks / _TICKS)
    assert total == pytest.approx((ticks + 400 + 50) / _TICKS)


def test_a_file_that_is_not_proc_stat_is_refused() -> None:
    with pytest.raises(ValueError, match="not /proc/stat"):
        machine_seconds("intr 1 2 3\n")


def _reading(service: float, postgres: float) -> CpuReading:
    return CpuReading(service, postgres)


def test_a_window_names_each_part_and_leaves_the_rest_to_other() -> None:
    start = (_reading(10.0, 5.0), MachineReading(20.0, 100.0, {"Valkey": 1.0, "load": 2.0}))
    # 1,000 bets: 3.0 s busy of 4.0 s of the machine's time (two CPUs, two seconds).
    end = (_reading(11.0, 5.5), MachineReading(23.0, 104.0, {"Valkey": 1.1, "load": 2.3}))

    measured = window(start, end, 1000, cpus=2)

    assert measured is not None
    assert measured.all_ms == pytest.approx(3.0)
    assert measured.parts_ms == pytest.approx({"Valkey": 0.1, "load": 0.3})
    assert measured.other_ms == pytest.approx(3.0 - 1.0 - 0.5 - 0.1 - 0.3)
    assert measured.idle == pytest.approx(0.25)
    assert measured.bound == pytest.approx(2000 / 3)  # two CPUs at 3 ms a bet
    said = measured.describe()
    assert "the machine 3.000 ms of CPU a bet" in said
    assert "Valkey 0.100, load 0.300, other 1.100" in said
    assert "25% idle; 2 CPUs full at 667 bets/s" in said


def test_other_is_never_negative_when_the_readings_skew() -> None:
    # The parts' counters are read a moment apart from the machine's: they may add up to a
    # little more.
    start = (_reading(0.0, 0.0), MachineReading(0.0, 0.0, {"load": 0.0}))
    end = (_reading(1.0, 0.5), MachineReading(1.4, 2.0, {"load": 0.0}))
    measured = window(start, end, 1000, cpus=1)
    assert measured is not None
    assert measured.other_ms == 0.0


def test_no_bets_or_no_time_is_no_window() -> None:
    same = (_reading(0.0, 0.0), MachineReading(1.0, 1.0))
    later = (_reading(1.0, 1.0), MachineReading(2.0, 3.0))
    assert window(same, later, 0, cpus=2) is None
    assert window(same, same, 100, cpus=2) is None


class _Fixed:
    """An inner meter that reads the same counters every time."""

    def __init__(self) -> None:
        self.reads = 0

    def read(self) -> CpuReading:
        self.reads += 1
        return CpuReading(1.0, 1.0)


def test_the_meter_passes_the_inner_reading_on_and_describes_its_last_window() -> None:
    inner = _Fixed()
    meter = MachineMeter(inner)

    assert meter.read() == CpuReading(1.0, 1.0)
    burn = time.process_time() + 0.05
    while time.process_time() < burn:  # the machine is busy for a moment at least
        pass
    meter.read()

    assert inner.reads == 2
    measured = meter.window(10)
    assert measured is not None
    assert measured.all_ms > 0
    assert 0 <= measured.idle <= 1
    assert measured.cpus == (psutil.cpu_count() or 1)
    assert set(measured.parts_ms) == {"load generators"}  # no Redis server named
    assert meter.window(10) is None  # the readings are forgotten once described
    assert meter.note(10) == ""


def test_load_generators_are_this_process_s_children_running_loadgen(tmp_path: Path) -> None:
    script = tmp_path / "loadgen.py"
    script.write_text(
        "import time\n"
        "end = time.process_time() + 0.3\n"
        "while time.process_time() < end:\n"
        "    pass\n"
        "time.sleep(30)\n"
    )
    other = tmp_path / "other.py"
    other.write_text(script.read_text())
    before = load_generators_cpu()
    children = [subprocess.Popen([sys.executable, str(path)]) for path in (script, other)]
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            # user + system, as counted: a loop on process_time() spends most of it in the kernel
            if all(sum(psutil.Process(c.pid).cpu_times()[:2]) >= 0.28 for c in children):
                break
            time.sleep(0.05)
        used = load_generators_cpu() - before
    finally:
        for child in children:
            child.kill()
            child.wait()
    # The loadgen.py child's ~0.3 s, not the other one's as well.
    assert 0.25 <= used < 0.55
