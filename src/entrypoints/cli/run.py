"""`croupier run`: which parts to start, migrations first, and the embedded servers and
buffered traces taken care of on the way out (the serving itself: entrypoints.cli.supervisor)."""

from __future__ import annotations

import click

from adapters.embedded_servers import stop_postgres, stop_valkey
from entrypoints.cli import event_loop
from entrypoints.cli.environment import setup, upgrade
from entrypoints.cli.failures import fail, guarded
from entrypoints.cli.grpc_workers import WORKER_OPTION
from entrypoints.cli.supervisor import PARTS, serve
from entrypoints.composition.endpoints import Endpoints
from entrypoints.observability.tracing import configure_tracing, shutdown_tracing
from entrypoints.settings import Settings, load_settings


def _parts(ctx: click.Context, param: click.Parameter, value: str | None) -> frozenset[str]:
    if value is None:
        return frozenset(PARTS)
    chosen = {p.strip().lower() for p in value.split(",") if p.strip()}
    unknown = sorted(chosen - set(PARTS))
    if unknown or not chosen:
        raise click.BadParameter(
            f"{', '.join(unknown) or 'nothing'}: choose from {', '.join(PARTS)}, comma-separated"
        )
    return frozenset(chosen)


@click.command()
@click.option("--keep-servers", is_flag=True, help="Leave embedded servers running on exit.")
@click.option(
    "--only",
    "parts",
    metavar="PARTS",
    callback=_parts,
    help="Run only these parts, comma-separated, e.g. `http,grpc` (default: all of "
    + ", ".join(PARTS)
    + "). `relay` is the outbox relay and the periodic risk monitor.",
)
@click.option(WORKER_OPTION, "grpc_worker", is_flag=True, hidden=True)
def run(keep_servers: bool, parts: frozenset[str], grpc_worker: bool) -> None:
    """Start everything that is configured: migrations, HTTP API, gRPC, bot, outbox relay."""
    settings = guarded(load_settings)
    _check_bot_part(settings, parts)
    # Before anything starts: an endpoint without the packages fails here, clearly.
    guarded(lambda: configure_tracing(settings))
    endpoints = guarded(lambda: setup(settings))
    try:
        if not grpc_worker:  # an extra gRPC process: its first process migrated
            guarded(lambda: upgrade(settings, endpoints))
        serving = serve(settings, endpoints, parts, grpc_worker=grpc_worker)
        event_loop.run(serving, settings)
    finally:
        # An extra gRPC process uses its first process's servers, never its own.
        if not keep_servers and not grpc_worker:
            _stop_embedded(settings, endpoints)
        # Last: exporting the buffered spans waits for the collector (at most
        # OTEL_EXPORTER_OTLP_TIMEOUT, 10 s, when it is unreachable).
        shutdown_tracing()


def _stop_embedded(settings: Settings, endpoints: Endpoints) -> None:
    data_dir = settings.data_dir.resolve()
    if endpoints.embedded_postgres:
        stop_postgres(data_dir / "postgres")
    if endpoints.embedded_redis:
        stop_valkey(data_dir / "valkey")


def _check_bot_part(settings: Settings, parts: frozenset[str]) -> None:
    if "bot" not in parts or parts == frozenset(PARTS):
        return  # the default runs the bot when it is configured, and says so when not
    if not settings.bot_token:
        fail("--only bot: the bot is not configured (set CROUPIER_BOT_TOKEN)", 2)
    if settings.bot_webhook_url and "http" not in parts:
        fail(
            "--only: with CROUPIER_BOT_WEBHOOK_URL the bot's updates arrive at the HTTP part,"
            " which registers the webhook: run http (bot alone only long-polls)",
            2,
        )
