"""The benchmark's table and the issue's targets (issue 19), met or not, each with its ratio."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paired import Paired

TARGET_UNARY = 0.7  # × lean unary, at the target level (32 in flight)
TARGET_STREAM = 0.7  # × lean batched stream
TARGET_BATCH = 1.5  # × best uniform pgbench tps
TARGET_HOT = 2.0  # × best one-player pgbench tps
TARGET_CPU = 2.0  # service + PostgreSQL CPU a bet, unary, at most × lean batched unary's
TARGET_ALONE_STATEMENTS = 2.0
TARGET_ALONE_P99_MS = 10.0
TARGET_P99_MS = 25.0  # at half of peak
TARGET_RSS_MB = 300.0
# The latency targets' rows from their alternated rounds (latency_rounds.py).
HALF_PEAK_ROUNDS = "unary at half peak (rounds)"
HALF_PEAK_LEAN_ROUNDS = "lean at half peak (rounds)"
ALONE_ROUNDS = "unary alone (rounds)"
ALONE_LEAN_ROUNDS = "lean unary alone (rounds)"


@dataclass(slots=True)
class Row:
    name: str
    concurrency: int  # 0: open loop
    rate: float
    p50_ms: float
    p99_ms: float
    rss_mb: float | None = None
    errors: Counter[str] = field(default_factory=Counter)
    ratio: float | None = None
    service_cpu_ms: float | None = None
    postgres_cpu_ms: float | None = None
    statements: float | None = None  # a bet, counted by the server (bet-alone rows)
    note: str = ""  # printed under the targets (the half-peak case: what the disk did)
    # The whole machine's CPU a bet over the case (machine.py: everything that ran, the load
    # generators and Valkey too) and its CPUs, where the case read it (run.py: Croupier's
    # cases at every level; the lean reference's are said in notes only).
    machine_ms: float | None = None
    cpus: int | None = None

    @property
    def unimplemented(self) -> bool:
        """The service has no such RPC (the batch case before PlaceBatch exists)."""
        return self.rate == 0 and "UNIMPLEMENTED" in self.errors

    @property
    def cpu_bound(self) -> float | None:
        """Bets/s at which this case's CPU a bet would fill every CPU of the machine."""
        if not self.machine_ms or not self.cpus:
            return None
        return self.cpus * 1000 / self.machine_ms

    @property
    def cpu_ms(self) -> float | None:
        """Service + PostgreSQL CPU a bet, when both were measured."""
        if self.service_cpu_ms is None or self.postgres_cpu_ms is None:
            return None
        return self.service_cpu_ms + self.postgres_cpu_ms


def _fmt_errors(errors: Counter[str]) -> str:
    return ", ".join(f"{k}×{v}" for k, v in errors.most_common(3)) or "-"


def figure(value: float | None, digits: int) -> str:
    """A measured figure to `digits` places, or `-` when it was not measured."""
    return "-" if value is None else f"{value:.{digits}f}"


def format_table(
    header: list[str],
    rows: list[Row],
    targets: list[tuple[str, str, bool]],
    notes: tuple[str, ...] = (),
) -> str:
    lines = [*header, ""]
    title = (
        f"{'case':<28}{'in flight':>10}{'bets/s':>9}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'svc ms':>8}{'PG ms':>7}{'stmts':>6}{'RSS MB':>8}{'× ref':>7}  errors"
    )
    lines += [title, "-" * len(title)]
    for row in rows:
        flight = str(row.concurrency) if row.concurrency else "open"
        missing = row.unimplemented or not row.rate
        rate = "-" if row.unimplemented else f"{row.rate:.0f}"
        p50 = "-" if missing else f"{row.p50_ms:.1f}"
        p99 = "-" if missing else f"{row.p99_ms:.1f}"
        lines.append(
            f"{row.name:<28}{flight:>10}{rate:>9}{p50:>8}{p99:>8}"
            f"{figure(row.service_cpu_ms, 2):>8}{figure(row.postgres_cpu_ms, 2):>7}"
            f"{figure(row.statements, 1):>6}{figure(row.rss_mb, 0):>8}{figure(row.ratio, 2):>7}"
            f"  {_fmt_errors(row.errors)}"
        )
    lines += ["", "targets (issue 19):"]
    for name, value, met in targets:
        lines.append(f"  {'met    ' if met else 'NOT met'}  {name:<52} {value}")
    printed = [f"  {row.name}: {row.note}" for row in rows if row.note]
    printed += [f"  {note}" for note in notes]
    if printed:
        lines += ["", "notes:", *printed]
    return "\n".join(lines)


def nearest_level(levels: list[int], wanted: int = 32) -> int:
    return min(levels, key=lambda level: (abs(level - wanted), level))


def set_ratios(rows: list[Row]) -> None:
    """× ref: uniform cases against the best uniform pgbench tps, hot cases against the best
    one-player tps (pgbench rows themselves have none)."""
    best_uniform = _best(rows, "pgbench uniform")
    best_one = _best(rows, "pgbench one player")
    for row in rows:
        if row.name.startswith(("pgbench", "grpc")) or row.concurrency <= 1:
            continue  # the yardsticks themselves, the open-loop and the one-at-a-time rows
        base = best_one if "hot" in row.name else best_uniform
        if base and not row.unimplemented:
            row.ratio = row.rate / base


def _best(rows: list[Row], name: str) -> float:
    return max((r.rate for r in rows if r.name == name), default=0.0)


def _at(rows: list[Row], name: str, level: int) -> Row | None:
    return next((r for r in rows if r.name == name and r.concurrency == level), None)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f} ×" if b else "- (no reference)"


def targets(
    rows: list[Row], level: int, paired: Paired | None = None
) -> list[tuple[str, str, bool]]:
    """The issue's targets, each (what, measured, met). With `paired` (paired.py), the unary
    and CPU targets' verdicts are the median ratios of the alternated rounds, the main cases'
    ratios printed beside them."""
    found: list[tuple[str, str, bool]] = []
    unary, lean_unary = _at(rows, "unary uniform", level), _at(rows, "lean unary uniform", level)
    u, lu = (unary.rate if unary else 0.0), (lean_unary.rate if lean_unary else 0.0)
    rate_ratio = paired.median("rate_ratio") if paired is not None else None
    if paired is not None and rate_ratio is not None:
        measured = (
            f"{rate_ratio:.2f} × (median of {len(paired.rounds)} alternated rounds; "
            f"the main cases: {_ratio(u, lu)})"
        )
        met = rate_ratio >= TARGET_UNARY
    else:
        measured, met = _ratio(u, lu), u >= TARGET_UNARY * lu > 0
    if not met:
        measured += _ceiling([unary], lu, TARGET_UNARY)
    found.append((f"unary {level} in flight ≥ 0.7 × lean unary", measured, met))
    s, ls = _best(rows, "stream uniform"), _best(rows, "lean stream batched")
    met = s >= TARGET_STREAM * ls > 0
    ceiling = "" if met else _ceiling(_all(rows, "stream uniform"), ls, TARGET_STREAM)
    found.append(("stream ≥ 0.7 × lean batched stream", _ratio(s, ls) + ceiling, met))
    batch = _all(rows, "batch uniform")
    ref = _best(rows, "pgbench uniform")
    if batch and all(r.unimplemented for r in batch):
        found.append(("batch RPC ≥ 1.5 × best uniform pgbench", "- (UNIMPLEMENTED)", False))
    else:
        b = _best(rows, "batch uniform")
        met = b >= TARGET_BATCH * ref > 0
        measured = _ratio(b, ref) + ("" if met else _ceiling(batch, ref, TARGET_BATCH))
        found.append(("batch RPC ≥ 1.5 × best uniform pgbench", measured, met))
    hot = max(_best(rows, "unary hot"), _best(rows, "stream hot"))
    one = _best(rows, "pgbench one player")
    met = hot >= TARGET_HOT * one > 0
    hot_rows = _all(rows, "unary hot") + _all(rows, "stream hot")
    measured = _ratio(hot, one) + ("" if met else _ceiling(hot_rows, one, TARGET_HOT))
    found.append(("one hot player ≥ 2 × one-player pgbench", measured, met))
    lean_batched = _at(rows, "lean unary batched", level)
    cpu, lean_cpu = (
        (unary.cpu_ms if unary else None),
        (lean_batched.cpu_ms if lean_batched else None),
    )
    cpu_ratio = paired.median("cpu_ratio") if paired is not None else None
    if paired is not None and cpu_ratio is not None:
        single = (
            f"; the main cases: {cpu:.2f} ms / {lean_cpu:.2f} ms = {cpu / lean_cpu:.2f} ×"
            if cpu is not None and lean_cpu
            else ""
        )
        measured = (
            f"{paired.median('croupier_ms') or 0:.2f} ms, lean "
            f"{paired.median('batched_ms') or 0:.2f} ms: {cpu_ratio:.2f} × "
            f"(median of {len(paired.rounds)} alternated rounds{single})"
        )
        met = cpu_ratio <= TARGET_CPU
    elif cpu is None or not lean_cpu:
        measured, met = "- (not measured)", False
    else:
        measured = f"{cpu:.2f} ms, lean {lean_cpu:.2f} ms: {cpu / lean_cpu:.2f} ×"
        met = cpu <= TARGET_CPU * lean_cpu
    found.append(("CPU a bet (svc + PG, unary) ≤ 2 × lean batched", measured, met))
    found.append(_alone(rows))
    found.append(_half_peak(rows))
    peak_rss = max(
        (r.rss_mb or 0.0 for r in rows if not r.name.startswith(("lean", "pgbench", "grpc"))),
        default=0.0,
    )
    found.append(
        ("service RSS under load ≤ 300 MB", f"{peak_rss:.0f} MB", peak_rss <= TARGET_RSS_MB)
    )
    return found


def _all(rows: list[Row], name: str) -> list[Row]:
    return [r for r in rows if r.name == name]


def _ceiling(cases: Sequence[Row | None], ref: float, wanted: float) -> str:
    """What the machine's CPU allows a missed throughput target, as a clause after its ratio:
    of `cases` (a target's rows) the one whose CPU a bet fills the CPUs at the highest rate,
    that rate against the reference's `ref`, and the CPU a bet the target's ratio `wanted`
    would need. A case that left CPUs idle could go faster by that much; one at its bound
    only by costing less a bet, whatever its concurrency (machine.py). "" when no case of
    the target read the machine."""
    read = [r for r in cases if r is not None and r.cpu_bound is not None]
    if not read or ref <= 0:
        return ""
    case = max(read, key=lambda r: r.cpu_bound or 0.0)
    bound, cpus, machine_ms = case.cpu_bound or 0.0, case.cpus or 0, case.machine_ms or 0.0
    return (
        f"; by the machine's CPU at most {bound / ref:.2f} × ({case.name}, {case.concurrency}"
        f" in flight: {machine_ms:.3f} ms a bet fills {cpus} CPUs at {bound:,.0f}/s;"
        f" {wanted:g} × needs ≤ {cpus * 1000 / (wanted * ref):.3f} ms a bet)"
    )


def _half_peak(rows: list[Row]) -> tuple[str, str, bool]:
    """The p99 at half of peak: with the rounds (latency_rounds.py), the p99 of their bets pooled,
    the lean reference's beside it and the main case's after; without them, the main case's
    p99 (before 2026-12-05 12:00 always so) beside the lean reference's right after it."""
    name = "p99 at half of peak ({:.0f}/s) ≤ 25 ms"
    main = _named(rows, "unary at half peak (rate)")
    main_floor = _named(rows, "lean unary at the same rate")
    rounds, floor = (
        _named(rows, HALF_PEAK_ROUNDS),
        _named(rows, HALF_PEAK_LEAN_ROUNDS),
    )
    if rounds is not None:
        beside = f", lean reference {floor.p99_ms:.1f} ms" if floor else ""
        after = f"; the main case: {main.p99_ms:.1f} ms" if main else ""
        return (
            name.format(rounds.rate),
            f"{rounds.p99_ms:.1f} ms (every bet of the alternated rounds{beside}){after}",
            rounds.p99_ms <= TARGET_P99_MS and not rounds.errors,
        )
    if main is None:
        return (name.format(0), "- (not measured)", False)
    beside = f" (lean reference at the same rate: {main_floor.p99_ms:.1f} ms)" if main_floor else ""
    return (
        name.format(main.rate),
        f"{main.p99_ms:.1f} ms{beside}",
        main.p99_ms <= TARGET_P99_MS and not main.errors,
    )


def _named(rows: list[Row], name: str) -> Row | None:
    return next((r for r in rows if r.name == name), None)


def _alone(rows: list[Row]) -> tuple[str, str, bool]:
    """A bet alone: the statements a bet counted in the main case; the p99 of every bet of the
    alternated rounds (latency_rounds.py), the main case's beside it, or without rounds the
    main case's (before 2026-12-05 12:00 always so)."""
    name = "a bet alone: ≤ 2 statements, p99 ≤ 10 ms"
    main, rounds = _named(rows, "unary alone"), _named(rows, ALONE_ROUNDS)
    if main is None:
        return (name, "- (not measured)", False)
    statements = "?" if main.statements is None else f"{main.statements:.1f}"
    counted = main.statements is not None and main.statements <= TARGET_ALONE_STATEMENTS
    if rounds is None:
        return (
            name,
            f"{statements} statements, p99 {main.p99_ms:.1f} ms",
            counted and main.p99_ms <= TARGET_ALONE_P99_MS and not main.errors,
        )
    floor = _named(rows, ALONE_LEAN_ROUNDS)
    beside = f", lean reference {floor.p99_ms:.1f} ms" if floor else ""
    return (
        name,
        f"{statements} statements; p99 {rounds.p99_ms:.1f} ms (every bet of the alternated "
        f"rounds{beside}); the main case: {main.p99_ms:.1f} ms",
        counted and rounds.p99_ms <= TARGET_ALONE_P99_MS and not rounds.errors and not main.errors,
    )
