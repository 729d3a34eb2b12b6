"""`croupier relay`: the outbox relay alone, for a process of its own (`croupier run` starts
one as its child: entrypoints.cli.relay_process)."""

from __future__ import annotations

import asyncio
import signal
import sys

import click

from entrypoints.cli.environment import prepared, setup
from entrypoints.cli.failures import guarded


@click.command()
@click.option(
    "--stop-with-parent",
    is_flag=True,
    hidden=True,
    help="Stop when stdin reaches its end (a pipe from the parent process, closed when the "
    "parent exits, even killed): how `croupier run` starts it.",
)
def relay(stop_with_parent: bool) -> None:
    """Publish the outbox's domain events to Redis until stopped (Ctrl+C / SIGTERM).

    One relay runs at a time per database; a second one waits until the first stops, so
    running one next to every `croupier run` (which relays too) is safe."""
    from entrypoints.cli.supervisor import relay_events
    from entrypoints.composition.containers import make_cli_container
    from entrypoints.process.collector import freeze_what_started, tune_collector
    from entrypoints.settings import load_settings

    if stop_with_parent:  # the parent migrated already and found the servers: start sooner
        settings = guarded(load_settings)
        endpoints = guarded(lambda: setup(settings))
    else:
        settings, endpoints = prepared()

    async def go() -> None:
        container = make_cli_container(settings, endpoints)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if stop_with_parent:
            await _stop_at_end_of_stdin(stop)
        try:
            click.echo("relaying outbox events to Redis; press Ctrl+C to stop")
            freeze_what_started()
            await relay_events(container, stop)
        finally:
            await container.close()

    # The relay decodes and re-encodes every event: its garbage collector is tuned as the
    # serving processes' are (entrypoints.process.collector; bench/README.md measured it).
    tune_collector(settings.gc_threshold)
    guarded(lambda: asyncio.run(go()), endpoints=endpoints)
    click.echo("relay stopped")


class _EndOfInput(asyncio.Protocol):
    def __init__(self, stop: asyncio.Event) -> None:
        self._stop = stop

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop.set()


async def _stop_at_end_of_stdin(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: _EndOfInput(stop), sys.stdin)
