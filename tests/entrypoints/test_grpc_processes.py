"""`CROUPIER_GRPC_PROCESSES=2`: the real `croupier run --only grpc` starts a second gRPC process
on the same port (SO_REUSEPORT), both answer calls, and stopping the first stops both. Which
process answered a call is read from the access lines, which name their process when several
share the port. With one process (the default), a second server cannot take the port."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import grpc
import psutil
import pytest

from adapters.embedded_servers import ensure_database
from croupier.v1 import betting_pb2, betting_pb2_grpc
from entrypoints.composition.containers import make_grpc_container
from entrypoints.composition.endpoints import Endpoints
from entrypoints.grpc.server import GrpcServer
from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS

pytestmark = pytest.mark.integration

CALLS = 24  # each on a connection of its own: all on one process by chance is 2 ** -23
READY_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _call_on_a_new_connection(address: str) -> None:
    # A local subchannel pool: a new TCP connection per channel, not one shared by all.
    options = (("grpc.use_local_subchannel_pool", 1),)
    async with grpc.aio.insecure_channel(address, options=options) as channel:
        stub = betting_pb2_grpc.BettingServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:  # no key: refused, and logged
            await stub.GetBet(betting_pb2.GetBetRequest(bet_id="x"), timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def _lines(log: Path) -> list[dict[str, object]]:
    lines = []
    for raw in log.read_text().splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def _tail(log: Path) -> str:
    return log.read_text()[-3000:]


async def _wait_serving(log: Path, process: asyncio.subprocess.Process, count: int) -> None:
    deadline = asyncio.get_running_loop().time() + READY_TIMEOUT
    while asyncio.get_running_loop().time() < deadline:
        serving = [line for line in _lines(log) if str(line["message"]).startswith("gRPC serving")]
        if len(serving) >= count:
            return
        assert process.returncode is None, _tail(log)
        await asyncio.sleep(0.2)
    raise AssertionError(f"not {count} gRPC processes in time:\n{_tail(log)}")


async def test_two_grpc_processes_share_one_port_and_stop_together(servers, tmp_path):
    server = servers.database_url.rpartition("/")[0] + "/postgres"
    url = await asyncio.to_thread(ensure_database, server, "croupier_processes", recreate=True)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROUPIER_")}
    env.update(
        CROUPIER_DATABASE_URL=url,
        CROUPIER_REDIS_URL=servers.redis_url,
        CROUPIER_PII_KEYS=TEST_PII_KEYS,
        CROUPIER_PII_INDEX_KEY=TEST_PII_INDEX_KEY,
        CROUPIER_GRPC_PORT=str(port),
        CROUPIER_GRPC_PROCESSES="2",
        CROUPIER_DATA_DIR=str(tmp_path / "data"),
        CROUPIER_DB_POOL_SIZE="4",
        CROUPIER_LOG_FORMAT="json",
    )
    log = tmp_path / "service.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "entrypoints.cli", "run", "--only", "grpc",
            env=env, stdout=out, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    try:
        await _wait_serving(log, process, 2)
        children = psutil.Process(process.pid).children(recursive=True)
        assert len(children) == 1
        pids = {process.pid, children[0].pid}

        for _ in range(CALLS):
            await _call_on_a_new_connection(f"127.0.0.1:{port}")
        await asyncio.sleep(0.5)  # the access lines are written after the answers
        answered = {
            line["pid"]
            for line in _lines(log)
            if line["logger"] == "croupier.access" and "GetBet" in str(line["message"])
        }
        assert answered == pids

        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 60) == 0
        assert not psutil.pid_exists(children[0].pid) or children[0].status() == "zombie"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_with_one_process_a_second_server_cannot_take_the_port(servers, grpc_settings):
    from dataclasses import replace

    from application.access import Authenticate

    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    settings = replace(grpc_settings, grpc_port=_free_port())
    assert settings.grpc_processes == 1
    container = make_grpc_container(settings, endpoints)
    try:
        authenticate = await container.get(Authenticate)
        first = GrpcServer(container, settings, authenticate)
        try:
            with pytest.raises(OSError, match="cannot listen"):
                GrpcServer(container, settings, authenticate)
        finally:
            await first.server.stop(None)
    finally:
        await container.close()
