"""bench/valkey_rest.py: before a run the benchmark has Valkey rewrite its append-only file
(so a rewrite, which cost a window a quarter of its bets, is a file's worth of appends away),
and a case it rewrote in says so (issue 19, bench/README.md, 2026-12-05 05:45). On a real
embedded Valkey, which keeps an append-only file as the benchmark's does."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import redis

from adapters.embedded_servers import ensure_valkey, stop_valkey

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import valkey_rest


def test_settling_rewrites_the_file_and_a_case_with_a_rewrite_says_so(tmp_path: Path) -> None:
    data = tmp_path / "valkey"
    url = ensure_valkey(data)
    try:
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
        while client.info("persistence")["aof_rewrite_in_progress"]:
            pass
        assert valkey_rest.rewrote(url, quiet) == (
            "Valkey rewrote its append-only file during the case (1x)"
        )
        assert client.xlen("croupier:events") == 1  # the data is the data
        client.close()
    finally:
        stop_valkey(data)


def test_a_valkey_without_an_append_only_file_is_left_alone(tmp_path: Path) -> None:
    data = tmp_path / "valkey"
    url = ensure_valkey(data)
    try:
        client = redis.Redis.from_url(url)
        client.config_set("appendonly", "no")
        assert asyncio.run(valkey_rest.settle(url)) == "Valkey: no append-only file"
        assert valkey_rest.rewrites(url) is None
        assert valkey_rest.rewrote(url, None) == ""
        client.close()
    finally:
        stop_valkey(data)
