"""`croupier run` starts the outbox relay as a child process (`croupier relay`) by default:
it publishes, it stops with its parent, and it is gone when the parent is killed outright.
`CROUPIER_RELAY_IN_PROCESS=true` keeps it inside."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
from sqlalchemy import text

from adapters.embedded_servers import ensure_database
from adapters.postgres.engine import create_engine

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CROUPIER = Path(sys.executable).parent / "croupier"


@pytest.fixture(scope="module")
def database(servers) -> str:
    server = servers.database_url.rpartition("/")[0] + "/postgres"
    return ensure_database(server, "croupier_relay_process", recreate=True)


@pytest.fixture
def environment(servers, database, tmp_path) -> dict[str, str]:
    return {
        **os.environ,
        "CROUPIER_DATABASE_URL": database,
        "CROUPIER_REDIS_URL": servers.redis_url,
        "CROUPIER_SEED_KEY": secrets.token_hex(32),
        "CROUPIER_HOUSE_SHARDS": "4",
        "CROUPIER_GRPC_PORT": "0",
        "CROUPIER_METRICS_PORT": "0",
        "CROUPIER_DATA_DIR": str(tmp_path / "data"),
        "CROUPIER_LOG_LEVEL": "WARNING",
    }


def _relay_children(parent: subprocess.Popen[bytes]) -> list[psutil.Process]:
    try:
        children = psutil.Process(parent.pid).children()
    except psutil.NoSuchProcess:
        return []
    return [c for c in children if "--stop-with-parent" in c.cmdline()]


async def _until(check, what: str, within: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)
    return found


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(CROUPIER), "run", "--only", "grpc,relay"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def _append_and_wait_published(database: str) -> None:
    engine = create_engine(database, pool_size=1, max_overflow=0)
    event = {
        "event_id": str(uuid.uuid4()),
        "type": "test.happened",
        "version": 1,
        "aggregate_type": "test",
        "aggregate_id": str(uuid.uuid4()),
        "sequence": 1,
        "occurred_at": "2026-12-02T12:00:00Z",
        "player_ids": [],
        "data": {"version": 1},
    }
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text("SELECT outbox_append(CAST(:e AS jsonb))"), {"e": json.dumps([event])}
            )

        async def published() -> bool:
            async with engine.connect() as conn:
                return bool(
                    await conn.scalar(
                        text("SELECT published FROM outbox_events WHERE event_id = :id"),
                        {"id": event["event_id"]},
                    )
                )

        deadline = time.monotonic() + 60
        while not await published():
            assert time.monotonic() < deadline, "the relay never published the event"
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()


async def test_the_relay_runs_in_a_child_that_publishes_and_dies_with_its_parent(
    environment, database, tmp_path
):
    log = tmp_path / "run.log"
    parent = _start(environment, log)
    try:
        [child] = await _until(lambda: _relay_children(parent), "the relay child")
        await _append_and_wait_published(database)
        assert "Outbox relay  publishing to Redis (a child)" in log.read_text()
        parent.send_signal(signal.SIGKILL)  # no chance to stop its child
        parent.wait(10)
        await _until(lambda: not child.is_running() or child.status() == "zombie", "its end")
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)


async def test_the_relay_child_stops_with_its_parent_and_can_stay_inside(environment, tmp_path):
    parent = _start(environment, tmp_path / "run.log")
    try:
        [child] = await _until(lambda: _relay_children(parent), "the relay child")
        await asyncio.sleep(1)  # started, serving
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(30) == 0, (tmp_path / "run.log").read_text()
        assert not child.is_running() or child.status() == "zombie"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)
    inside = _start({**environment, "CROUPIER_RELAY_IN_PROCESS": "true"}, tmp_path / "in.log")
    try:
        await _until(lambda: "Croupier is running" in (tmp_path / "in.log").read_text(), "start")
        assert _relay_children(inside) == []
        assert "(in this process)" in (tmp_path / "in.log").read_text()
    finally:
        inside.send_signal(signal.SIGTERM)
        assert inside.wait(30) == 0
