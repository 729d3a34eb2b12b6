"""`croupier crash chain`: commit crash's hash chain (its published end) and, later, its salt.
Run as the schema's owner (the services' role may not write the chain nor read its links)."""

from __future__ import annotations

import click

from entrypoints.cli.environment import setup
from entrypoints.cli.failures import guarded


@click.group()
def crash() -> None:
    """Crash rounds' fairness commitment."""


@crash.group()
def chain() -> None:
    """The hash chain the rounds consume backwards (docs/games.md, Crash)."""


@chain.command("new")
@click.option("--length", default=10_000_000, show_default=True, help="Rounds in the chain.")
@click.option(
    "--checkpoint-every",
    default=1000,
    show_default=True,
    help="Links between the checkpoints stored (a round's hash is computed from the nearest).",
)
def chain_new(length: int, checkpoint_every: int) -> None:
    """Generate a secret, hash the chain and store its end and checkpoints; print the end to
    publish. The secret is never stored nor shown. Then choose a salt nobody knew when the end
    was published (e.g. a later Bitcoin block's hash) and set it with `chain salt`."""
    import asyncio

    from adapters.postgres.crash_chain import commit_chain
    from adapters.postgres.engine import create_engine
    from entrypoints.settings import load_settings

    settings = guarded(load_settings)
    endpoints = guarded(lambda: setup(settings))

    async def go() -> tuple[int, str]:
        engine = create_engine(endpoints.database_url, pool_size=1, max_overflow=0)
        try:
            async with engine.begin() as conn:
                committed = await commit_chain(conn, length, checkpoint_every=checkpoint_every)
            return committed.id, committed.end_hash
        finally:
            await engine.dispose()

    chain_id, end = guarded(lambda: asyncio.run(go()), endpoints=endpoints)
    click.echo(f"crash chain {chain_id}: {length} rounds; publish its end now:")
    click.echo(end)
    click.echo(f"then: croupier crash chain salt {chain_id} SALT")


@chain.command("salt")
@click.argument("chain_id", type=int)
@click.argument("salt")
def chain_salt(chain_id: int, salt: str) -> None:
    """Fix CHAIN_ID's public salt, once, before its first round; rounds start after this."""
    import asyncio

    from adapters.postgres.crash_chain import set_salt
    from adapters.postgres.engine import create_engine
    from entrypoints.settings import load_settings

    settings = guarded(load_settings)
    endpoints = guarded(lambda: setup(settings))

    async def go() -> None:
        engine = create_engine(endpoints.database_url, pool_size=1, max_overflow=0)
        try:
            async with engine.begin() as conn:
                await set_salt(conn, chain_id, salt)
        finally:
            await engine.dispose()

    guarded(lambda: asyncio.run(go()), endpoints=endpoints)
    click.echo(f"crash chain {chain_id} salted; rounds can start")
