"""The forgetting of the aggregators' kept answers that `croupier run` starts beside its `http`
part (entrypoints/cli/aggregator_jobs.py; docs/aggregators.md, "Repeated requests"): only
there and only with an interval; and, run against PostgreSQL through the http part's container,
an answer kept past the retention is forgotten while a recent one stays."""

from __future__ import annotations

import asyncio
import hashlib
import secrets

import pytest
from sqlalchemy import text

from entrypoints.cli.aggregator_jobs import start_aggregator_jobs
from entrypoints.composition.endpoints import Endpoints
from entrypoints.settings import Settings
from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS
from tests.entrypoints.fast_hashing import FastPasswordHashing

pytestmark = [pytest.mark.integration]


async def test_croupier_run_forgets_answers_only_beside_the_http_part() -> None:
    stop = asyncio.Event()
    on = Settings()  # hourly by default
    off = Settings(aggregator_forget_interval_s=0)
    assert on.aggregator_forget_interval_s == 3_600
    for parts in ({"grpc"}, {"bot"}, {"relay"}, {"grpc", "bot", "relay"}):
        assert start_aggregator_jobs(on, None, stop, frozenset(parts)) == []  # type: ignore[arg-type]
    assert start_aggregator_jobs(off, None, stop, frozenset({"http"})) == []  # type: ignore[arg-type]
    stop.set()  # set first: the task started below ends before its first run
    tasks = start_aggregator_jobs(on, None, stop, frozenset({"http", "bot"}))  # type: ignore[arg-type]
    assert len(tasks) == 1
    await asyncio.wait_for(asyncio.gather(*tasks), 5)


async def _keep(engine, door: str, request_id: str, days_ago: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO aggregator_answers (door, request_id, body_hash, answer, created_at)"
                " VALUES (:d, :r, :h, :a, now() - make_interval(days => :ago))"
            ),
            {
                "d": door,
                "r": request_id,
                "h": hashlib.sha256(request_id.encode()).digest(),
                "a": b'{"status":"RS_OK"}',
                "ago": days_ago,
            },
        )


async def _kept(engine, door: str) -> set[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT request_id FROM aggregator_answers WHERE door = :d"), {"d": door}
        )
        return {r[0] for r in rows}


async def test_the_job_forgets_what_the_retention_no_longer_keeps(servers, engine, tmp_path):
    from entrypoints.composition.containers import make_http_container

    door = f"forget-{secrets.token_hex(4)}"
    await _keep(engine, door, "old", days_ago=8)
    await _keep(engine, door, "recent", days_ago=6)
    settings = Settings(
        secret_key=secrets.token_hex(32),
        seed_key=secrets.token_bytes(32),
        pii_keys=TEST_PII_KEYS,
        pii_index_key=TEST_PII_INDEX_KEY,
        house_shards=4,
        data_dir=tmp_path,
        aggregator_answer_retention_days=7,
    )
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = make_http_container(settings, endpoints, FastPasswordHashing())
    stop = asyncio.Event()
    try:
        tasks = start_aggregator_jobs(settings, container, stop, frozenset({"http"}))
        assert len(tasks) == 1
        for _ in range(100):  # its first run is at once
            if await _kept(engine, door) == {"recent"}:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
    finally:
        stop.set()
        await container.close()
    assert await _kept(engine, door) == {"recent"}
