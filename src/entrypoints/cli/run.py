"""`croupier run`: which parts to start, migrations first, and the embedded servers and
buffered traces taken care of on the way out (the serving itself: entrypoints.cli.supervisor)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from entrypoints.cli.environment import release_servers, setup, upgrade
from entrypoints.cli.failures import fail, guarded

if TYPE_CHECKING:
    from entrypoints.settings import Settings

# The parts `croupier run` can start: the keys of entrypoints.composition.containers.RUN_PARTS
# (tests/entrypoints/test_containers.py checks), written out so that `--help` need not import
# the composition root.
PARTS = ("http", "grpc", "bot", "relay")
# The hidden option that makes a process one of `croupier run`'s extra gRPC processes
# (entrypoints.cli.grpc_workers, which starts them).
WORKER_OPTION = "--grpc-worker"


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
@click.option(
    "--keep-servers",
    is_flag=True,
    help="Leave the embedded servers running on exit (by default the last croupier process "
    "using them stops those a croupier process started).",
)
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
    from entrypoints.cli import event_loop
    from entrypoints.cli.supervisor import serve
    from entrypoints.observability.tracing import configure_tracing, shutdown_tracing
    from entrypoints.settings import load_settings

    settings = guarded(load_settings)
    _check_bot_part(settings, parts)
    # Before anything starts: an endpoint without the packages fails here, clearly.
    guarded(lambda: configure_tracing(settings))
    endpoints = guarded(lambda: setup(settings, serving=True, keep_servers=keep_servers))
    try:
        if not grpc_worker:  # an extra gRPC process: its first process migrated
            guarded(lambda: upgrade(settings, endpoints), endpoints=endpoints)
        serving = serve(settings, endpoints, parts, grpc_worker=grpc_worker)
        event_loop.run(serving, settings)
    finally:
        # Stops the embedded servers a croupier process started, unless another uses them;
        # an extra gRPC process uses its first process's servers and never stops them.
        release_servers(settings, endpoints, keep=keep_servers or grpc_worker)
        # Last: exporting the buffered spans waits for the collector (at most
        # OTEL_EXPORTER_OTLP_TIMEOUT, 10 s, when it is unreachable).
        shutdown_tracing()


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
