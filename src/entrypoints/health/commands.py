"""`croupier health`: probes for container health checks. Exit 0 when healthy, 1 with the
reason when not, 2 when misused. They read the same settings as the service they probe.

Kept apart from the rest of the CLI, and reached without importing it
(entrypoints.process.launcher): a probe runs every few seconds in each container, and pays
for nothing but its own probe (the gRPC client only for `health grpc`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from entrypoints.health.heartbeat import age
from entrypoints.health.probes import ProbeResult, grpc_serving, heartbeat_fresh, http_ready

if TYPE_CHECKING:
    from entrypoints.settings import Settings


def _fail(message: str, code: int = 1) -> NoReturn:
    click.secho(message, fg="red", err=True)
    sys.exit(code)


def _settings() -> Settings:
    # Imported here: `croupier --help` lists this group and need not read the settings.
    from entrypoints.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as error:
        _fail(str(error), 2)


def _report(result: ProbeResult, what: str) -> None:
    if not result.healthy:
        _fail(f"{what} unhealthy: {result.detail}")
    click.echo(f"{what} healthy: {result.detail}")


@click.group()
def health() -> None:
    """Probes for container health checks: exit 0 when healthy, 1 (with the reason) when not.
    They read the same settings as the service they probe."""


@health.command("http")
@click.option("--url", default=None, help="Default: /health/ready on 127.0.0.1 and the HTTP port.")
@click.option("--timeout", type=click.FloatRange(0.1, 60), default=3.0, show_default=True)
def health_http(url: str | None, timeout: float) -> None:
    """The HTTP server's readiness (/health/ready: 200 when the database answers)."""
    target = url or f"http://127.0.0.1:{_settings().http_port}/health/ready"
    _report(http_ready(target, timeout), "HTTP")


@health.command("grpc")
@click.option("--target", default=None, help="HOST:PORT; default 127.0.0.1 and the gRPC port.")
@click.option("--service", default="", help="A service name; default: the whole server.")
@click.option("--timeout", type=click.FloatRange(0.1, 60), default=3.0, show_default=True)
def health_grpc(target: str | None, service: str, timeout: float) -> None:
    """The gRPC server's standard health service (grpc.health.v1). With
    CROUPIER_GRPC_TLS_CERT set the probe speaks TLS and trusts that certificate (it must name
    the host probed; with a client CA, mutual TLS refuses the probe: probe over another port)."""
    settings = _settings()
    address = target or f"127.0.0.1:{settings.grpc_port}"
    _report(
        grpc_serving(address, timeout, service=service, tls_root=settings.grpc_tls_cert), "gRPC"
    )


@health.command("heartbeat")
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Default: CROUPIER_HEARTBEAT_FILE.",
)
@click.option(
    "--max-age",
    type=click.FloatRange(0.1, 3600),
    default=None,
    help="Seconds; default three heartbeat intervals (CROUPIER_HEARTBEAT_INTERVAL_S).",
)
def health_heartbeat(path: Path | None, max_age: float | None) -> None:
    """A `croupier run` process with CROUPIER_HEARTBEAT_FILE set: its parts run and its
    database answers (the probe of the bot and relay, which serve no port)."""
    settings = _settings()
    path = path or settings.heartbeat_file
    if path is None:
        _fail("no heartbeat file: set CROUPIER_HEARTBEAT_FILE or pass --file", 2)
    limit = max_age if max_age is not None else 3.0 * settings.heartbeat_interval_s
    _report(heartbeat_fresh(age(path), path, limit), "heartbeat")
