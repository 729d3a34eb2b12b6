"""`croupier servers`: the embedded PostgreSQL and Valkey of a development install."""

from __future__ import annotations

import contextlib

import click

from entrypoints.cli.failures import guarded


@click.group()
def servers() -> None:
    """The embedded PostgreSQL and Valkey used when no URLs are configured."""


@servers.command("stop")
def servers_stop() -> None:
    """Stop the embedded servers (their data stays)."""
    from adapters.embedded_servers import EmbeddedServerError, stop_postgres, stop_valkey
    from entrypoints.settings import load_settings

    settings = guarded(load_settings)
    data_dir = settings.data_dir.resolve()
    with contextlib.suppress(EmbeddedServerError):
        stop_postgres(data_dir / "postgres")
        stop_valkey(data_dir / "valkey")
    click.echo("embedded servers stopped")
