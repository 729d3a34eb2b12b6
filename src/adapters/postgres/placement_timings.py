"""How long a batch's parts take on the snapshot road, for monitoring.

A batch of bets (or a bet alone) on the snapshot road is two round trips with Python between
them: the read (`placement_snapshot`), the decisions made on it, and the write (`place_bets`,
its own transaction, so its commit is inside). `SnapshotPlacements` times the three and tells
a `PlacementTimings` once the write is in. The three add up to most of a batch's cycle, and
where they go says what a slow betting road waits on: the database's statements (read,
write) or the serving process (decide, which also counts the event loop's turns the
decisions waited for behind other calls' work). Measured with `time.perf_counter`, in
seconds."""

from __future__ import annotations

from typing import Protocol


class PlacementTimings(Protocol):
    """Told once a snapshot road's write went in. It sits on the path of every batch: an
    implementation must be quick and must neither block nor raise."""

    def written(self, bets: int, read: float, decide: float, write: float) -> None:
        """`bets` one write decided: placed, and refused on the snapshot (a refusal's write
        checks no twin of it was placed meanwhile); `read` seconds from the snapshot read's
        start to its answer, `decide` from that answer to the write's start, `write` from
        the write's start to its answer (its commit included)."""
        ...
