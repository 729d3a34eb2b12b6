"""`croupier dev`: development helpers, refused in production.

Only click is imported here: what `seed` needs (the container, the use cases) is imported when
it runs, so `croupier --help` does not pay for it."""

from __future__ import annotations

import click


@click.group()
def dev() -> None:
    """Development helpers (refused when CROUPIER_ENV=production)."""


@dev.command("seed")
def dev_seed() -> None:
    """Make a development database ready for a first bet: an admin (its password printed
    once), a gRPC API key, a funded bankroll and funded demo players; writes them to
    CROUPIER_DATA_DIR/seed.env too. Run it again and it makes nothing twice (a new API key,
    see docs/operations.md)."""
    from entrypoints.cli.seeding import seed

    seed()
