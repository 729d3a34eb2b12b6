"""A database or Redis that does not answer is one line naming the setting, the address tried
and what to do, not the driver's traceback (it was 137-164 lines). Real processes, as an
operator runs the commands."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests import conftest

# A log line of ours (entrypoints.observability.logs' text format) starts with its timestamp.
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def croupier(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def said(done: subprocess.CompletedProcess[str]) -> list[str]:
    """What the command said, its log lines (the migrations' INFO) left out."""
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert len(output.splitlines()) <= 12, output
    return [line for line in output.splitlines() if line.strip() and not LOG_LINE.match(line)]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://croupier@127.0.0.1:1/croupier", "connection refused"),
        ("postgresql://croupier@no-such-host.invalid:5432/croupier", "unknown host"),
    ],
    ids=["refused", "unknown host"],
)
@pytest.mark.parametrize("args", [["db", "current"], ["currency", "list"], ["run"]], ids=" ".join)
def test_a_database_that_does_not_answer_is_one_line(
    url: str, reason: str, args: list[str], tmp_path
) -> None:
    done = croupier(
        args,
        {
            "CROUPIER_DATABASE_URL": url,
            "CROUPIER_REDIS_URL": "redis://127.0.0.1:1/0",
            "CROUPIER_DATA_DIR": str(tmp_path),
        },
    )
    assert done.returncode == 1
    [line] = said(done)
    assert "CROUPIER_DATABASE_URL" in line
    assert url.split("/")[2] in line  # the address it tried
    assert reason in line


def test_a_database_that_is_not_there_is_named(servers: conftest.TestServers, tmp_path) -> None:
    missing = servers.database_url.rpartition("/")[0] + "/no_such_database"
    done = croupier(
        ["db", "upgrade"],
        {
            "CROUPIER_DATABASE_URL": missing,
            "CROUPIER_REDIS_URL": servers.redis_url,
            "CROUPIER_DATA_DIR": str(tmp_path),
        },
    )
    assert done.returncode == 1
    [line] = said(done)
    assert 'database "no_such_database" does not exist' in line
    assert "CROUPIER_DATABASE_URL" in line


REDIS_CALL = """
import asyncio, sys
from entrypoints.cli.failures import guarded
from entrypoints.composition.endpoints import Endpoints
from adapters.redis_client import create_redis

url = sys.argv[1]

async def ping() -> None:
    client = create_redis(url)
    try:
        await client.ping()
    finally:
        await client.aclose()

guarded(lambda: asyncio.run(ping()), endpoints=Endpoints("postgresql://db/x", url, False, False))
"""


def test_a_redis_that_does_not_answer_is_one_line() -> None:
    # No command fails on Redis today (without it features degrade and the relay retries):
    # what a command's Redis call would raise goes through the commands' own guard.
    url = "redis://127.0.0.1:1/0"
    done = subprocess.run(
        [sys.executable, "-c", REDIS_CALL, url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    [line] = said(done)
    assert "CROUPIER_REDIS_URL" in line
    assert "127.0.0.1:1" in line
    assert "connection refused" in line.lower()
