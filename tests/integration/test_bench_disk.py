"""bench/disk.py's note on the half-of-peak case names the checkpoints begun in it: that case's
p99 moves 2x with a checkpoint's full-page images, and in the full runs of 2026-12-05 a
checkpoint requested by WAL volume began inside it (bench/README.md, 2026-12-05 05:05)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import disk
from seeding import _connection


async def test_the_note_names_a_checkpoint_begun_between_its_readings(
    fresh_database: str,
) -> None:
    database = _connection(fresh_database)
    before = await disk.read(database)
    assert before.checkpoints is not None
    # No checkpoint between two readings: nothing said of them.
    assert "checkpoints begun" not in disk.describe(before, before, 10)

    conn = await database.connect()
    try:
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    noted = disk.describe(before, await disk.read(database), 10)

    # (A timed one may begin in between too, on a server the suite keeps busy.)
    assert noted.endswith(" timed, 1 requested")
    assert "; checkpoints begun in the case: " in noted
