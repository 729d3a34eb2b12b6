"""bench/valkey_rest.py: before a run the benchmark has Valkey rewrite its append-only file
(so a rewrite, which cost a window a quarter of its bets, is a file's worth of appends away),
and a case it rewrote in says so (issue 19, bench/README.md, 2026-12-05 05:05). On a real
embedded Valkey, which keeps an append-only file as the benchmark's does."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import redis

from adapters.embedded_servers import ensure_valkey, stop_valkey

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import machine
import valkey_rest


@pytest.fixture
def own_valkey(tmp_path: Path) -> Iterator[str]:
    """A Valkey of the test's own, with an append-only file as the benchmark's: its URL."""
    data = tmp_path / "valkey"
    try:
        yield ensure_valkey(data)
    finally:
        stop_valkey(data)


def test_settling_rewrites_the_file_and_a_case_with_a_rewrite_says_so(own_valkey: str) -> None:
    url = own_valkey
    client = redis.Redis.from_url(url)
    client.xadd("croupier:events", {"payload": "x" * 100})
    before = valkey_rest.rewrites(url)
    assert before is not None

    said = asyncio.run(valkey_rest.settle(url))

    assert "rewritten" in said
    assert valkey_rest.rewrites(url) == before + 1
    assert client.info("persistence")["aof_rewrite_in_progress"] == 0
    # What the benchmark notes for a case: nothing without a rewrite, the count with one.
    quiet = valkey_rest.rewrites(url)
    assert valkey_rest.rewrote(url, quiet) == ""
    client.bgrewriteaof()
    deadline = time.monotonic() + 30
    while client.info("persistence")["aof_rewrite_in_progress"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert valkey_rest.rewrote(url, quiet) == (
        "Valkey rewrote its append-only file during the case (1x)"
    )
    assert client.xlen("croupier:events") == 1  # the data is the data
    client.close()


def test_a_valkey_without_an_append_only_file_is_left_alone(own_valkey: str) -> None:
    client = redis.Redis.from_url(own_valkey)
    client.config_set("appendonly", "no")
    assert asyncio.run(valkey_rest.settle(own_valkey)) == "Valkey: no append-only file"
    assert valkey_rest.rewrites(own_valkey) is None
    assert valkey_rest.rewrote(own_valkey, None) == ""
    client.close()


def test_the_machine_meter_finds_the_valkey_of_a_url_and_nothing_where_none_answers(
    own_valkey: str,
) -> None:
    # bench/machine.py names the Redis server's CPU beside the service's: found by the pid
    # the server reports, checked to be a living Valkey.
    found = machine.redis_process(own_valkey)
    assert found is not None
    name, pid = found
    assert name == "Valkey"
    assert "valkey" in psutil.Process(pid).name()
    assert machine.redis_process("redis://127.0.0.1:9/0") is None  # nothing listens there
