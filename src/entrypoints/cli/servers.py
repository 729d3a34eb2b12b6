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
    """Stop the embedded servers (their data stays), even while a croupier process uses them."""
    from adapters.embedded_servers import (
        EmbeddedServerError,
        Lease,
        forget_autostop,
        stop_postgres,
        stop_valkey,
    )
    from entrypoints.settings import load_settings

    settings = guarded(load_settings)
    data_dir = settings.data_dir.resolve()
    users = [str(holder.pid) for holder in Lease(data_dir).holders()]
    with contextlib.suppress(EmbeddedServerError):
        stop_postgres(data_dir / "postgres")
        stop_valkey(data_dir / "valkey")
    forget_autostop(data_dir)
    click.echo("embedded servers stopped")
    if users:
        click.echo(f"croupier process {', '.join(users)} was using them", err=True)
