"""The commands that serve no player start without importing the doors' frameworks.

aiogram, Litestar and grpc cost seconds of import each (aiogram alone ~7 s on a loaded machine):
`croupier --help`, `verify` and the `db` commands must not pay for them. Each command runs in
a process of its own, as an operator runs it, through the console script's entry point; the
process reports which of those packages it imported when it exits. What each command costs is
measured by bench/cli_startup.py."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from adapters.embedded_servers import ensure_database
from tests import conftest
from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS

FRAMEWORKS = ("aiogram", "litestar", "grpc")
RUN_ALL = ("http", "grpc", "bot", "relay")  # what `croupier run` starts by default
MARK = "imported frameworks:"

# Runs the console script's `main` with the given arguments; on the way out (click exits with
# SystemExit, which runs atexit) it prints the frameworks in sys.modules.
PROBE = f"""
import atexit, sys
atexit.register(lambda: print({MARK!r}, ",".join(
    sorted(name for name in {FRAMEWORKS!r} if name in sys.modules)), file=sys.stderr))
sys.argv = ["croupier", *sys.argv[1:]]
from entrypoints.process.launcher import main
main()
"""

SEED = "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
ROLE = "croupier_cli_imports"


def imported_by(args: list[str], env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """The frameworks a `croupier ARGS` process imported, and its output."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith(MARK)]
    assert lines, f"the probe did not report:\n{done.stdout}\n{done.stderr}"
    names = lines[-1].removeprefix(MARK).strip()
    return set(filter(None, names.split(","))), done.stdout + done.stderr


def test_the_probe_sees_a_framework_a_command_imports() -> None:
    # `health grpc` does import grpc: without this, an empty report could mean a blind probe.
    imported, _ = imported_by(["health", "grpc", "--target", "127.0.0.1:1", "--timeout", "0.2"])
    assert imported == {"grpc"}


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["run", "--help"],
        ["db", "--help"],
        [
            "verify",
            "--game",
            "dice",
            "--server-seed",
            SEED,
            "--client-seed",
            "c",
            "--nonce",
            "0",
            "--params",
            "direction=over,target=50",
        ],
        [
            "verify",
            "--game",
            "crash",
            "--round",
            "1",
            "--round-hash",
            SEED,
            "--salt",
            "s",
            "--chain-end",
            "6b6e1ae5d54b9d8c0a2ae9eb15dd7d0aac1b80e7a8e19c0e8a2f54e1a3f6e0b1",
        ],
    ],
    ids=" ".join,
)
def test_offline_commands_import_no_framework(args: list[str]) -> None:
    imported, output = imported_by(args)
    assert imported == set(), output
    assert "Traceback" not in output


def test_the_db_commands_import_no_framework(servers: conftest.TestServers, tmp_path: Path) -> None:
    server = servers.database_url.rpartition("/")[0] + "/postgres"
    database = ensure_database(server, "croupier_cli_imports", recreate=True)
    asyncio.run(_ensure_role(server))
    env = {
        "CROUPIER_DATABASE_URL": database,
        "CROUPIER_REDIS_URL": servers.redis_url,
        "CROUPIER_PII_KEYS": TEST_PII_KEYS,
        "CROUPIER_PII_INDEX_KEY": TEST_PII_INDEX_KEY,
        "CROUPIER_DATA_DIR": str(tmp_path),
    }
    steps = [
        (["db", "current"], "(empty)"),
        (["db", "upgrade"], "is at head"),
        (["outbox", "prune"], "deleted 0 published outbox row(s)"),
        (["db", "grant", ROLE], f"role {ROLE} granted"),
        (["db", "downgrade", "base"], "is at base"),
    ]
    for args, expected in steps:
        imported, output = imported_by(args, env)
        assert expected in output, output
        assert imported == set(), f"croupier {' '.join(args)} imported {imported}"


async def _ensure_role(server: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", ROLE)
        if not exists:
            await conn.execute(f"CREATE ROLE {ROLE} NOLOGIN")
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("make", "absent"),
    [
        ("make_cli_container", FRAMEWORKS),
        ("make_grpc_container", ("aiogram", "litestar")),
        ("make_run_container", ("aiogram", "litestar")),  # `croupier run --only grpc,relay`
    ],
)
def test_a_container_imports_no_door_it_does_not_serve(make: str, absent: tuple[str, ...]) -> None:
    parts = ', ["grpc", "relay"]' if make == "make_run_container" else ""
    code = f"""
import sys
from entrypoints.composition import containers
from entrypoints.composition.endpoints import Endpoints
from entrypoints.settings import Settings
nowhere = Endpoints("postgresql+asyncpg://nowhere/none", "redis://nowhere", False, False)
containers.{make}(Settings(), nowhere{parts})
print(",".join(sorted(name for name in {FRAMEWORKS!r} if name in sys.modules)))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    imported = set(filter(None, done.stdout.strip().split(",")))
    assert not imported & set(absent), f"{make} imported {imported & set(absent)}"


def test_no_bot_token_no_aiogram_in_the_serving_process() -> None:
    # `croupier run` with every part and no bot token: the HTTP part's Telegram groups are
    # wired (the webhook answers 404, a Stars refund is refused), yet aiogram, ~130 MB of
    # resident memory, is never imported (bench/README.md, "Memory").
    code = f"""
import asyncio, sys
from entrypoints.bot.runtime import TelegramRuntime
from entrypoints.composition import containers
from entrypoints.composition.endpoints import Endpoints
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
import entrypoints.cli.supervisor, entrypoints.grpc.server
nowhere = Endpoints("postgresql+asyncpg://nowhere/none", "redis://nowhere", False, False)
container = containers.make_run_container(Settings(), nowhere, {list(RUN_ALL)!r})
runtime = asyncio.run(container.get(TelegramRuntime))
print(runtime.enabled, "aiogram" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stdout.strip() == "False False", done.stderr


def test_a_bot_token_brings_the_bot() -> None:
    # The other side: with a token, the container's Telegram runtime imports aiogram and holds
    # a bot and its dispatcher.
    code = """
import asyncio, sys
from entrypoints.bot.runtime import TelegramRuntime
from entrypoints.composition import containers
from entrypoints.composition.endpoints import Endpoints
from entrypoints.settings import Settings
nowhere = Endpoints("postgresql+asyncpg://nowhere/none", "redis://nowhere", False, False)
settings = Settings(bot_token="123456:" + "A" * 35)
container = containers.make_http_container(settings, nowhere)
print("aiogram" in sys.modules, end=" ")
runtime = asyncio.run(container.get(TelegramRuntime))
print(runtime.enabled, "aiogram" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stdout.strip() == "False True True", done.stderr
