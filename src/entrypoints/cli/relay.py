"""`croupier relay`: the outbox relay alone, for a process of its own."""

from __future__ import annotations

import asyncio
import signal

import click

from entrypoints.cli.environment import prepared
from entrypoints.cli.failures import guarded


@click.command()
def relay() -> None:
    """Publish the outbox's domain events to Redis until stopped (Ctrl+C / SIGTERM).

    One relay runs at a time per database; a second one waits until the first stops, so
    running one next to every `croupier run` (which relays too) is safe."""
    from application.relay import OutboxRelay
    from entrypoints.composition.containers import make_cli_container

    settings, endpoints = prepared()

    async def go() -> None:
        container = make_cli_container(settings, endpoints)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            click.echo("relaying outbox events to Redis; press Ctrl+C to stop")
            await (await container.get(OutboxRelay)).run(stop)
        finally:
            await container.close()

    guarded(lambda: asyncio.run(go()), endpoints=endpoints)
    click.echo("relay stopped")
