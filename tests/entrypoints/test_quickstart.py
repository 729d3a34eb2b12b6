"""The quick start runs as written (issue 20): the code blocks of docs/quickstart.md marked
`<!-- quickstart: server -->` and `<!-- quickstart: run -->` are run exactly, in order, so the
docs cannot rot. README.md's short version marks its blocks the same way; each of its commands
is one of quickstart.md's (checked below), so running quickstart.md runs them too, once.

The server block (`./dev up`) starts in the background as terminal 1 and the run blocks follow
in one bash session as terminal 2 (what `. .croupier/seed.env` sets, later lines read). The
only changes are the ones a test needs: the backend uses the test servers (a database of its
own, `CROUPIER_DATABASE_URL` / `CROUPIER_REDIS_URL`) and free ports (`CROUPIER_HTTP_PORT` /
`CROUPIER_GRPC_PORT`, with `localhost:8080` in the commands read as that port), and the
commands run in a view of the checkout (every top-level entry linked) whose `.croupier/` is
new, so a developer's own `.croupier/seed.env` is never touched."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import pytest

from tests.entrypoints.scratch import scratch_engine, scratch_url

__all__ = ["scratch_engine", "scratch_url"]  # fixtures

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
QUICKSTART = ROOT / "docs" / "quickstart.md"
_BLOCK = re.compile(r"<!-- quickstart: (server|run) -->\n```sh\n(.*?)```", re.DOTALL)
STARTED = "Croupier is running"


def blocks(path: Path) -> list[tuple[str, str]]:
    """(kind, commands) of each marked block of `path`, in order."""
    return [(kind, body) for kind, body in _BLOCK.findall(path.read_text())]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _checkout_view(into: Path) -> Path:
    """A folder that is the checkout for every command (`./dev`, `.venv`, `docs/…`) but with
    a `.croupier/` of its own."""
    into.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in (".croupier", ".git"):
            (into / entry.name).symlink_to(entry)
    # The blocks say `.venv/bin/python`, as a newcomer's `./dev` makes it; CI installs into
    # another folder (CROUPIER_VENV), so the view's `.venv` is the environment running us.
    if not (into / ".venv").exists():
        (into / ".venv").symlink_to(Path(sys.prefix))
    return into


def commands(path: Path, kind: str) -> list[str]:
    """The commands of `path`'s blocks of `kind`: each line (continued lines joined) split at
    `&&`, without its comment."""
    found = []
    for block_kind, body in blocks(path):
        if block_kind == kind:
            for line in body.replace("\\\n", " ").splitlines():
                line = re.sub(r"\s+#\s.*$", "", line)
                found += [" ".join(part.split()) for part in line.split("&&") if part.strip()]
    return found


def test_the_readme_runs_only_quickstart_commands():
    for path in (README, QUICKSTART):
        assert [kind for kind, _ in blocks(path)][:1] == ["server"], path
    for kind in ("server", "run"):
        readme = commands(README, kind)
        assert readme
        assert set(readme) <= set(commands(QUICKSTART, kind)), kind


async def test_the_quickstart_runs_as_written(servers, scratch_url, tmp_path):
    checkout = _checkout_view(tmp_path / "checkout")
    http_port, grpc_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "CROUPIER_DATABASE_URL": scratch_url,
        "CROUPIER_REDIS_URL": servers.redis_url,
        "CROUPIER_HTTP_PORT": str(http_port),
        "CROUPIER_GRPC_PORT": str(grpc_port),
        "CROUPIER_ENV": "development",
    }
    env.pop("CROUPIER_DATA_DIR", None)  # the checkout's .croupier/, as for a newcomer
    [(_, server), *rest] = blocks(QUICKSTART)
    script = "".join(body for _, body in rest).replace("localhost:8080", f"localhost:{http_port}")

    backend = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        server,
        cwd=checkout,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its own process group, stopped as one below
    )
    banner: list[str] = []
    try:
        await asyncio.wait_for(_until_started(backend, banner), timeout=120)
        terminal = await asyncio.create_subprocess_exec(
            "bash",
            "-euo",
            "pipefail",
            "-c",
            script,
            cwd=checkout,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(terminal.communicate(), timeout=180)
    finally:
        os.killpg(backend.pid, signal.SIGINT)  # Ctrl+C: the backend drains and stops
        try:
            await asyncio.wait_for(backend.wait(), timeout=30)
        except TimeoutError:
            os.killpg(backend.pid, signal.SIGKILL)
            await backend.wait()
    output = out.decode(errors="replace")
    assert terminal.returncode == 0, output
    sys.stdout.write(output)  # shown when a later assertion fails
    # The seed ran, and the bet was placed and settled over gRPC.
    assert "Seeded for development" in output
    assert re.search(r"bet [0-9a-f-]{36}: dice rolled \d+\.\d\d, BET_STATE_(WON|LOST)", output)
    assert re.search(r"^balance \d+ XTR$", output, re.MULTILINE)
    assert (checkout / ".croupier" / "seed.env").exists()
    # Your own player over gRPC, then the admin's token reads bets and a report.
    assert re.search(r"^player \d+ \(made now\)$", output, re.MULTILINE)
    assert '"bets":[{"id":' in output
    assert "day,game,currency,bets,stakes,wins,ggr" in output  # the report, as CSV
    assert re.search(r",dice,XTR,[1-9]", output)
    assert "the books reconcile: ledger invariants hold" in output


async def _until_started(backend: asyncio.subprocess.Process, lines: list[str]) -> None:
    assert backend.stdout is not None
    while True:
        line = await backend.stdout.readline()
        if not line:
            raise AssertionError("the backend ended before it started:\n" + "".join(lines))
        lines.append(line.decode(errors="replace"))
        if STARTED in lines[-1]:
            # Keep reading in the background, so a full pipe never blocks the backend.
            asyncio.get_running_loop().create_task(_drain(backend))
            return


async def _drain(backend: asyncio.subprocess.Process) -> None:
    assert backend.stdout is not None
    while await backend.stdout.read(65536):
        pass
