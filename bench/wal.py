"""What PostgreSQL writes a bet (issue 19): the WAL of a load generator's measured window, read
beside its CPU counters (service_cost.py --wal).

At the window's start and end `WalMeter` reads the insert LSN, `pg_stat_wal`, the databases'
MultiXact age (`mxid_age(datminmxid)`: the next MultiXact id minus a fixed one, so its change
is the MultiXacts created) and `pg_stat_slru`'s multixact caches. A physical replication slot
holds the window's WAL segments on disk until `pg_waldump` has read them (a checkpoint inside
the window would otherwise recycle them), and is dropped after. The report, a bet:

- bytes from the LSNs (exact) and `pg_stat_wal` (a backend flushes its counters at most once
  a second, so these lag the LSNs by up to a second of each backend's work);
- `pg_waldump --stats=record` over the same LSN range: records and bytes by record type (FPI
  bytes apart);
- the Heap, Heap2 and Btree records again by relation (`pg_filenode_relation`; those under
  0.01 a bet left out) and, for Heap/LOCK, by lock kind (KEYSHR_LOCK is a foreign-key
  check's FOR KEY SHARE; IS_MULTI a MultiXact as the row's xmax).
Everything in the window counts (the relay, the jobs, checkpoints): what a bet costs the server
under that load."""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from cpu import CpuMeter, CpuReading
from reference import Connection

SLOT = "bench_wal_cost"
_SNAPSHOT = (
    "SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn, pg_current_wal_insert_lsn(),"
    " w.wal_records, w.wal_fpi, w.wal_bytes,"
    " (SELECT max(mxid_age(datminmxid)) FROM pg_database),"
    " (SELECT coalesce(sum(blks_zeroed), 0) FROM pg_stat_slru WHERE name ILIKE 'multixact%'),"
    " (SELECT coalesce(sum(blks_written), 0) FROM pg_stat_slru WHERE name ILIKE 'multixact%')"
    " FROM pg_stat_wal w"
)
_STATS_LINE = re.compile(
    r"^(\S+)\s+(\d+)\s+\(\s*[\d.]+\)\s+(\d+)\s+\(\s*[\d.]+\)\s+(\d+)\s+\(\s*[\d.]+\)\s+(\d+)"
)
_RECORD_LINE = re.compile(
    r"^rmgr: (\S+)\s+len \(rec/tot\):\s*(\d+)/\s*(\d+), .*?desc: (\S+)(.*?)(?:, blkref #0: rel"
    r" \d+/(\d+)/(\d+)|$)"
)


@dataclass(frozen=True, slots=True)
class WalMark:
    position: int  # the insert LSN as a byte count
    lsn: str
    records: int  # pg_stat_wal
    fpi: int
    wal_bytes: int
    multixact_age: int
    slru_zeroed: int
    slru_written: int


class WalMeter(CpuMeter):
    """A CpuMeter that also marks the WAL at each reading (`marks`, in order)."""

    def __init__(
        self,
        service_pid: int | None,
        postgres_pid: int | None,
        admin: Connection,
        bin_dir: Path,
        *,
        breakdown: bool = False,
    ) -> None:
        super().__init__(service_pid, postgres_pid, breakdown=breakdown)
        self._admin = admin
        self._bin = bin_dir
        self.marks: list[WalMark] = []
        self._psql(
            f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
            f" WHERE slot_name = '{SLOT}'"
        )
        self._psql(f"SELECT pg_create_physical_replication_slot('{SLOT}', true)")

    def _psql(self, sql: str) -> str:
        a = self._admin
        return subprocess.run(
            [
                str(self._bin / "psql"),
                "-h",
                a.host,
                "-p",
                str(a.port),
                "-U",
                a.user,
                "-d",
                a.database,
                "-XAt",
                "-F",
                "|",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **({"PGPASSWORD": a.password} if a.password else {})},
        ).stdout.strip()

    def read(self) -> CpuReading:
        cpu = super().read()
        row = self._psql(_SNAPSHOT).split("|")
        self.marks.append(WalMark(int(row[0]), row[1], *(int(x) for x in row[2:])))
        return cpu

    def close(self) -> None:
        self._psql(f"SELECT pg_drop_replication_slot('{SLOT}')")

    def report(self, bets: int) -> str:
        """The window's WAL a bet (the first and last marks)."""
        if len(self.marks) < 2 or bets <= 0:
            return "  (no WAL marks)"
        start, end = self.marks[0], self.marks[-1]
        lines = [
            f"  WAL {start.lsn}..{end.lsn}, {bets} bets:"
            f" {(end.position - start.position) / bets:,.0f} B a bet (LSN);"
            f" pg_stat_wal {(end.wal_bytes - start.wal_bytes) / bets:,.0f} B,"
            f" {(end.records - start.records) / bets:.1f} records,"
            f" {(end.fpi - start.fpi) / bets:.2f} FPI a bet;"
            f" MultiXacts {(end.multixact_age - start.multixact_age) / bets:.3f} a bet;"
            f" multixact SLRU pages zeroed {end.slru_zeroed - start.slru_zeroed},"
            f" written {end.slru_written - start.slru_written}"
        ]
        lines += self._by_type(start.lsn, end.lsn, bets)
        lines += self._by_relation(start.lsn, end.lsn, bets)
        return "\n".join(lines)

    def _waldump(self, *args: str) -> subprocess.Popen[str]:
        pg_wal = Path(self._psql("SHOW data_directory")) / "pg_wal"
        return subprocess.Popen(
            [str(self._bin / "pg_waldump"), "-p", str(pg_wal), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def _by_type(self, start: str, end: str, bets: int) -> list[str]:
        dump = self._waldump("-s", start, "-e", end, "--stats=record")
        assert dump.stdout is not None
        rows = []
        for line in dump.stdout:
            found = _STATS_LINE.match(line)
            if found and "/" in found.group(1):
                name, n, rec, fpi, total = found.groups()
                rows.append((int(total), name, int(n), int(rec), int(fpi)))
        dump.wait()
        rows.sort(reverse=True)
        total_n = sum(r[2] for r in rows)
        total_b = sum(r[0] for r in rows)
        lines = [
            "  pg_waldump --stats=record, a bet: type, records, record bytes, FPI bytes, all"
            f" (all types: {total_n / bets:.1f} records, {total_b / bets:,.0f} B)"
        ]
        for total, name, n, rec, fpi in rows:
            if n / bets < 0.001:
                continue
            lines.append(
                f"    {name:32} {n / bets:7.2f} {rec / bets:8.0f} {fpi / bets:8.0f}"
                f" {total / bets:8.0f}"
            )
        return lines

    def _by_relation(self, start: str, end: str, bets: int) -> list[str]:
        dump = self._waldump("-s", start, "-e", end, "-r", "Heap", "-r", "Heap2", "-r", "Btree")
        assert dump.stdout is not None
        count: Counter[tuple[str, str, str]] = Counter()
        size: Counter[tuple[str, str, str]] = Counter()
        for line in dump.stdout:
            found = _RECORD_LINE.match(line)
            if not found:
                continue
            rmgr, _, tot, kind, rest, _, node = found.groups()
            if kind == "LOCK" or kind == "LOCK_UPDATED":
                bits = re.search(r"infobits: \[([^\]]*)\]", rest)
                kind += f"[{bits.group(1) if bits else ''}]"
            key = (f"{rmgr}/{kind}", node or "-", "")
            count[key] += 1
            size[key] += int(tot)
        dump.wait()
        nodes = sorted({node for _, node, _ in count if node != "-"})
        names: dict[str, str] = {}
        if nodes:
            values = ",".join(f"({n})" for n in nodes)
            mapped = self._psql(
                "SELECT v.n, coalesce(pg_filenode_relation(0, v.n::oid)::text, '?')"
                f" FROM (VALUES {values}) AS v(n)"
            )
            for row in mapped.splitlines():
                n, _, name = row.partition("|")
                names[n] = name
        lines = ["  Heap/Heap2/Btree records a bet by relation: kind, relation, records, bytes"]
        for key, n in sorted(count.items(), key=lambda kv: -size[kv[0]]):
            if n / bets < 0.01:
                continue
            kind, node, _ = key
            lines.append(
                f"    {kind:44} {names.get(node, node):34} {n / bets:6.2f} {size[key] / bets:7.0f}"
            )
        return lines
