"""The benchmark's Valkey brought to rest between runs, and its append-only file's rewrites
counted over a case.

The embedded Valkey keeps an append-only file (`adapters.embedded_servers.valkey`), and the
relay appends every event to the stream `croupier:events`, kept to about a million entries
(`CROUPIER_EVENTS_STREAM_MAX_LENGTH`): ~700 MB in memory and a ~280 MB file once full.
Valkey rewrites the file whenever it has doubled since the last rewrite (its defaults), which
under PlaceBatch load was every second 20-second run: a forked child writing the whole
stream again, on the same two cores and disk as PostgreSQL. The windows it fell in placed
25-30% fewer bets at ~60% more PostgreSQL CPU a bet, for every tree alike (bench/README.md,
2026-12-05 05:05). So before a run the file is rewritten (`settle`), its next rewrite is a
whole file's worth of appends away, and a case it still falls in says so (`rewrites`)."""

from __future__ import annotations

import asyncio
import os
import time

from redis.asyncio import Redis

WAIT_LIMIT_S = 120.0


async def _persistence(client: Redis) -> dict[str, object]:
    return await client.info("persistence")  # type: ignore[no-any-return]


async def settle(url: str) -> str:
    """Rewrite the append-only file now and wait for it (nothing when there is none); what was
    done, for the run's log."""
    client = Redis.from_url(url)
    started = time.perf_counter()
    try:
        info = await _persistence(client)
        if not info.get("aof_enabled"):
            return "Valkey: no append-only file"
        if not info.get("aof_rewrite_in_progress"):
            await client.bgrewriteaof()
        while time.perf_counter() - started < WAIT_LIMIT_S:
            info = await _persistence(client)
            if not info.get("aof_rewrite_in_progress") and not info.get("aof_rewrite_scheduled"):
                # The new file is in the page cache still: written out now, not by the
                # kernel's writeback inside the next window, beside PostgreSQL's WAL flushes.
                await asyncio.to_thread(os.sync)
                return (
                    f"Valkey's append-only file rewritten in {time.perf_counter() - started:.1f} s"
                    f" ({int(info.get('aof_current_size', 0)) / 1e6:.0f} MB)"  # type: ignore[call-overload]
                )
            await asyncio.sleep(0.2)
        return "Valkey's append-only file still being rewritten; going on"
    finally:
        await client.aclose()


async def _rewrites(url: str) -> int | None:
    client = Redis.from_url(url)
    try:
        info = await _persistence(client)
        return int(info["aof_rewrites"]) if info.get("aof_enabled") else None  # type: ignore[call-overload]
    except KeyError:  # a server that does not count them
        return None
    finally:
        await client.aclose()


def rewrites(url: str) -> int | None:
    """Valkey's count of append-only file rewrites so far (None: no such file)."""
    return asyncio.run(_rewrites(url))


def rewrote(url: str, before: int | None) -> str:
    """A case's note when Valkey rewrote its file during it, else ''."""
    after = rewrites(url)
    if before is None or after is None or after == before:
        return ""
    return f"Valkey rewrote its append-only file during the case ({after - before}x)"
