"""The `croupier` command: run the backend, migrate the database, manage currencies and the
bankroll, verify provably fair results.

One module per command group; this one only assembles them (and re-exports `main` for the
console script, entrypoints.process.launcher, and `PARTS` for the deployment files' tests).
`croupier health` lives outside this package (entrypoints.health.commands) so that the
console script can reach it without importing any of this."""

from __future__ import annotations

import click

from entrypoints.cli.admin import admin
from entrypoints.cli.aggregators import aggregator
from entrypoints.cli.apikey import apikey
from entrypoints.cli.bankroll import bankroll
from entrypoints.cli.bonuses import bonuses
from entrypoints.cli.crash import crash
from entrypoints.cli.crypto_pay import crypto_pay
from entrypoints.cli.currency import currency
from entrypoints.cli.db import db
from entrypoints.cli.dev import dev
from entrypoints.cli.outbox import outbox
from entrypoints.cli.pii import pii
from entrypoints.cli.reconcile import reconcile_books
from entrypoints.cli.referrals import referrals
from entrypoints.cli.relay import relay
from entrypoints.cli.risk import risk
from entrypoints.cli.run import PARTS, run
from entrypoints.cli.secrets_env import secrets_group
from entrypoints.cli.servers import servers
from entrypoints.cli.verify import verify
from entrypoints.health.commands import health

__all__ = ["PARTS", "main"]


@click.group()
def main() -> None:
    """Croupier: a backend for Telegram casinos."""


for _command in (
    run,
    relay,
    db,
    currency,
    verify,
    bankroll,
    crash,
    apikey,
    admin,
    reconcile_books,
    outbox,
    pii,
    risk,
    bonuses,
    referrals,
    crypto_pay,
    aggregator,
    health,
    servers,
    secrets_group,
    dev,
):
    main.add_command(_command)
