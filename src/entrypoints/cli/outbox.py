"""`croupier outbox`: the outbox table's upkeep (retention of published events)."""

from __future__ import annotations

import click

from entrypoints.cli.environment import setup
from entrypoints.cli.failures import fail, guarded


@click.group()
def outbox() -> None:
    """The outbox of domain events (docs/events.md)."""


@outbox.command()
@click.option(
    "--older-than-days",
    type=click.IntRange(min=1),
    default=None,
    help="Keep this many days of published rows (default: CROUPIER_OUTBOX_RETENTION_DAYS).",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1, max=100_000),
    default=1000,
    show_default=True,
    help="Outbox ids a transaction (each transaction's locks are held this briefly).",
)
def prune(older_than_days: int | None, batch: int) -> None:
    """Delete the published outbox rows older than the retention, in short transactions.

    Never deletes a row the relay has not published. A consumer further behind than the Redis
    stream catches up from the outbox, so keep more days than any consumer may lag; reconcile
    no longer looks for the events of what is older (docs/operations.md, "Outbox retention").
    Run it daily (cron, a systemd timer); several at once only wait for each other."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from adapters.postgres.engine import create_engine
    from adapters.postgres.outbox_retention import Pruned, PruneInterrupted, prune_outbox
    from entrypoints.settings import load_settings

    settings = guarded(load_settings)
    endpoints = guarded(lambda: setup(settings))
    days = older_than_days or settings.outbox_retention_days
    before = datetime.now(UTC) - timedelta(days=days)

    async def go() -> Pruned:
        engine = create_engine(endpoints.database_url, pool_size=1, max_overflow=0)
        try:
            return await prune_outbox(engine, before=before, batch=batch)
        finally:
            await engine.dispose()

    try:
        pruned = guarded(lambda: asyncio.run(go()), endpoints=endpoints)
    except PruneInterrupted as interrupted:
        fail(str(interrupted))
    click.echo(
        f"deleted {pruned.rows} published outbox row(s) written before "
        f"{before.isoformat(timespec='seconds')} ({days} days kept) in "
        f"{pruned.transactions} transaction(s)"
    )
