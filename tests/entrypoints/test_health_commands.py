"""`croupier run --only …` as docker-compose.yml runs it (one process per part), probed by
`croupier health http|grpc|heartbeat` as the compose health checks probe it."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.embedded_servers import ensure_database
from application.access import Authenticate
from entrypoints.cli import main
from entrypoints.composition.containers import make_grpc_container
from entrypoints.composition.endpoints import Endpoints
from entrypoints.grpc.server import GrpcServer
from entrypoints.health.heartbeat import beat
from entrypoints.health.probes import grpc_serving, http_ready
from tests.entrypoints.test_grpc import _certificate

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CROUPIER = Path(sys.executable).parent / "croupier"  # the console script, as in the image


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def database(servers) -> str:
    """A database of its own: the relay process publishes whatever its outbox holds."""
    server = servers.database_url.rpartition("/")[0] + "/postgres"
    return ensure_database(server, "croupier_health", recreate=True)


@pytest.fixture
def environment(servers, database, tmp_path):
    return {
        "CROUPIER_DATABASE_URL": database,
        "CROUPIER_REDIS_URL": servers.redis_url,
        "CROUPIER_SEED_KEY": secrets.token_hex(32),
        "CROUPIER_HOUSE_SHARDS": "4",
        "CROUPIER_HTTP_PORT": str(_free_port()),
        "CROUPIER_GRPC_PORT": str(_free_port()),
        "CROUPIER_DATA_DIR": str(tmp_path / "data"),
        "CROUPIER_LOG_LEVEL": "WARNING",
    }


class Running:
    def __init__(self, parts: str, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("w")
        self.process = subprocess.Popen(
            [str(CROUPIER), "run", "--only", parts],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    async def until(self, probe, what: str, within: float = 60.0):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + within
        while True:
            result = await asyncio.to_thread(probe)
            if result.healthy:
                return result
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{what} never healthy: {result.detail}\n{self.output()}")
            await asyncio.sleep(0.2)

    def output(self) -> str:
        return self.log.read_text()

    async def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(self.process.wait, 30)
        self._out.close()
        return code


def _health(args: list[str], env: dict[str, str]):
    return CliRunner().invoke(main, ["health", *args], env=env)


async def test_http_and_grpc_in_one_process_answer_their_probes(environment, tmp_path):
    env = environment
    running = Running("http,grpc", env, tmp_path / "http-grpc.log")
    try:
        ready = await running.until(
            lambda: http_ready(f"http://127.0.0.1:{env['CROUPIER_HTTP_PORT']}/health/ready", 2),
            "HTTP",
        )
        assert ready.detail.startswith("200")
        result = await asyncio.to_thread(_health, ["http"], env)
        assert result.exit_code == 0, result.output
        assert "HTTP healthy: 200" in result.output
        result = await asyncio.to_thread(_health, ["grpc"], env)
        assert result.exit_code == 0, result.output
        assert "gRPC healthy: SERVING" in result.output
        wallet = await asyncio.to_thread(
            _health, ["grpc", "--service", "croupier.v1.WalletService"], env
        )
        assert wallet.exit_code == 0, wallet.output
        unknown = await asyncio.to_thread(_health, ["grpc", "--service", "no.Such"], env)
        assert unknown.exit_code == 1
        assert "NOT_FOUND" in unknown.output
    finally:
        assert await running.stop() == 0, running.output()
    assert "Outbox relay" not in running.output()
    # Stopped, the probes fail with a reason, not a traceback.
    for kind in ("http", "grpc"):
        down = await asyncio.to_thread(_health, [kind, "--timeout", "1"], env)
        assert down.exit_code == 1
        assert "unhealthy" in down.output
        assert "Traceback" not in down.output


async def test_grpc_alone_serves_its_metrics_on_a_port_of_its_own(environment, tmp_path):
    env = {**environment, "CROUPIER_METRICS_PORT": str(_free_port())}
    running = Running("grpc", env, tmp_path / "grpc.log")
    try:
        await running.until(lambda: _probe(["grpc"], env), "gRPC")
        url = f"http://127.0.0.1:{env['CROUPIER_METRICS_PORT']}/metrics"
        deadline = time.monotonic() + 30
        while True:  # the ledger totals are read once at start, in the background
            text = await asyncio.to_thread(_get, url)
            if "croupier_ledger_accounts{" in text or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
    finally:
        assert await running.stop() == 0, running.output()
    # The probe's own Health/Check calls were counted by this process, and the ledger is there.
    assert 'grpc_server_handled_total{grpc_code="OK",grpc_method="Check"' in text
    assert 'croupier_ledger_accounts{currency="XTR",kind="house_bankroll"}' in text


def _probe(args, env):
    from entrypoints.health.probes import ProbeResult

    result = CliRunner().invoke(main, ["health", *args], env=env)
    return ProbeResult(result.exit_code == 0, result.output.strip())


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


async def test_the_relay_alone_beats_its_heartbeat_and_serves_no_port(environment, tmp_path):
    heartbeat = tmp_path / "run" / "heartbeat"
    env = {
        **environment,
        "CROUPIER_HEARTBEAT_FILE": str(heartbeat),
        "CROUPIER_HEARTBEAT_INTERVAL_S": "1",
    }
    running = Running("relay", env, tmp_path / "relay.log")
    try:
        await running.until(lambda: _probe_heartbeat(env), "heartbeat")
        first = heartbeat.read_text()
        await asyncio.sleep(1.5)
        assert heartbeat.read_text() != first  # it keeps beating, not a file written once
        result = await asyncio.to_thread(_health, ["heartbeat"], env)
        assert result.exit_code == 0, result.output
        assert "heartbeat healthy: last beat" in result.output
        # The parts not asked for are not running.
        for kind in ("http", "grpc"):
            absent = await asyncio.to_thread(_health, [kind, "--timeout", "1"], env)
            assert absent.exit_code == 1, absent.output
        assert "Outbox relay" in running.output()
    finally:
        assert await running.stop() == 0, running.output()
    assert not heartbeat.exists()
    gone = await asyncio.to_thread(_health, ["heartbeat"], env)
    assert gone.exit_code == 1
    assert "no heartbeat at" in gone.output


def _probe_heartbeat(env):
    from entrypoints.health.probes import ProbeResult

    result = CliRunner().invoke(main, ["health", "heartbeat"], env=env)
    return ProbeResult(result.exit_code == 0, result.output.strip())


def test_a_stale_heartbeat_is_unhealthy(tmp_path):
    path = tmp_path / "beat"
    beat(path)
    fresh = CliRunner().invoke(main, ["health", "heartbeat", "--file", str(path)])
    assert fresh.exit_code == 0, fresh.output
    old = time.time() - 120
    path.write_text(f"{old}\n")
    stale = CliRunner().invoke(
        main, ["health", "heartbeat", "--file", str(path), "--max-age", "30"]
    )
    assert stale.exit_code == 1
    assert "stale" in stale.output
    unset = CliRunner().invoke(main, ["health", "heartbeat"], env={"CROUPIER_HEARTBEAT_FILE": ""})
    assert unset.exit_code == 2
    assert "CROUPIER_HEARTBEAT_FILE" in unset.output


def test_only_refuses_unknown_parts_and_a_bot_it_cannot_run(environment):
    runner = CliRunner()
    bogus = runner.invoke(main, ["run", "--only", "http,cron"], env=environment)
    assert bogus.exit_code == 2
    assert "cron: choose from http, grpc, bot, relay" in bogus.output
    empty = runner.invoke(main, ["run", "--only", ","], env=environment)
    assert empty.exit_code == 2
    no_token = runner.invoke(
        main, ["run", "--only", "bot"], env={**environment, "CROUPIER_BOT_TOKEN": ""}
    )
    assert no_token.exit_code == 2
    assert "the bot is not configured" in no_token.output
    webhook = runner.invoke(
        main,
        ["run", "--only", "bot"],
        env={
            **environment,
            "CROUPIER_BOT_TOKEN": "123456:" + "A" * 35,
            "CROUPIER_BOT_WEBHOOK_URL": "https://example.test/telegram/webhook",
            "CROUPIER_BOT_WEBHOOK_SECRET": "s" * 32,
        },
    )
    assert webhook.exit_code == 2, webhook.output
    assert "the bot's updates arrive at the HTTP part" in webhook.output


async def test_the_grpc_probe_speaks_tls_trusting_the_configured_certificate(
    servers, grpc_settings, tmp_path
):
    ca_cert, ca_key, ca_path, _ = _certificate(tmp_path, "ca")
    _, _, cert, key = _certificate(tmp_path, "server", (ca_cert, ca_key))
    settings = replace(grpc_settings, grpc_tls_cert=cert, grpc_tls_key=key)
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = make_grpc_container(settings, endpoints)
    server = GrpcServer(container, settings, await container.get(Authenticate))
    await server.start()
    try:
        # The blocking probe runs off this loop, which serves the server.
        trusted = await asyncio.to_thread(grpc_serving, server.address, 5, tls_root=ca_path)
        assert (trusted.healthy, trusted.detail) == (True, "SERVING")
        plaintext = await asyncio.to_thread(grpc_serving, server.address, 2)
        assert not plaintext.healthy
        assert "UNAVAILABLE" in plaintext.detail
    finally:
        await server.stop()
        await container.close()


def test_the_console_script_probes_without_importing_the_whole_cli(tmp_path):
    """A probe runs every few seconds per container: it must not pay for aiogram, Litestar
    and the servers (seconds of CPU) to read a file or make one request."""
    path = tmp_path / "beat"
    beat(path)
    code = (
        "import sys\n"
        "from entrypoints.process.launcher import main\n"
        "sys.argv = ['croupier', 'health', 'heartbeat', '--file', sys.argv[1]]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        "    print('exit', done.code)\n"
        "heavy = ('aiogram', 'litestar', 'uvicorn', 'sqlalchemy', 'entrypoints.cli')\n"
        "print('loaded', sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=False
    )
    assert "heartbeat healthy" in done.stdout, done.stderr
    assert "exit 0" in done.stdout
    assert "loaded []" in done.stdout
