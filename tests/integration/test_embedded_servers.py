"""The embedded servers keep data across restarts and recover from a crash's leftovers."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import asyncpg
import pytest
import redis

from adapters.embedded_servers import (
    EmbeddedServerError,
    ensure_database,
    ensure_postgres,
    ensure_valkey,
    stop_postgres,
    stop_valkey,
)


async def _fetch(url: str, query: str) -> object:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(query)
    finally:
        await conn.close()


def test_postgres_data_survives_a_restart_on_the_same_port(server_folder: Path) -> None:
    data = server_folder / "pg"
    server = ensure_postgres(data)
    try:
        assert ensure_postgres(data) == server  # a second caller reuses the running server
        url = ensure_database(server, "keep")
        asyncio.run(_fetch(url, "CREATE TABLE t AS SELECT 42 AS v"))
        assert stop_postgres(data) is True
        assert stop_postgres(data) is False
        again = ensure_postgres(data)
        assert again == server
        assert asyncio.run(_fetch(ensure_database(again, "keep"), "SELECT v FROM t")) == 42
        fresh = ensure_database(again, "keep", recreate=True)
        assert asyncio.run(_fetch(fresh, "SELECT to_regclass('t') IS NULL")) is True
    finally:
        stop_postgres(data)


def test_database_names_are_validated(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedServerError, match="letters, digits"):
        ensure_database("postgresql://postgres@127.0.0.1:1/postgres", 'x"; DROP')


def test_valkey_keeps_data_and_survives_a_stale_pidfile(tmp_path: Path) -> None:
    data = tmp_path / "valkey"
    url = ensure_valkey(data)
    try:
        client = redis.Redis.from_url(url)
        client.set("k", "v")
        client.close()
        pid = int((data / "valkey.pid").read_text())
        os.kill(pid, signal.SIGKILL)  # a crash: the pidfile stays behind
        while Path(f"/proc/{pid}").exists() and "Z" not in _state(pid):
            pass
        assert (data / "valkey.pid").exists()
        again = ensure_valkey(data)
        client = redis.Redis.from_url(again)
        assert client.get("k") == b"v"  # append-only file replayed
        client.close()
    finally:
        stop_valkey(data)
    assert not (data / "valkey.pid").exists()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
