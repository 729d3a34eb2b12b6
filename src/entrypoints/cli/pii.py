"""`croupier pii`: personal data sealed at rest, and the rotation of its keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import click

from entrypoints.cli.environment import with_container
from entrypoints.cli.failures import fail

if TYPE_CHECKING:
    from dishka import AsyncContainer


@click.group()
def pii() -> None:
    """Personal data sealed at rest (usernames, withdrawal destinations, TOTP secrets)."""


@pii.command("status")
def pii_status() -> None:
    """Count the values still sealed under a key other than the first of CROUPIER_PII_KEYS.
    Exits 1 while there are any (a rotation is not finished)."""
    from application.personal_data_rotation import CountStaleSeals

    async def count(container: AsyncContainer) -> Mapping[str, int]:
        async with container() as scope:
            return await (await scope.get(CountStaleSeals))()

    stale = with_container(count)
    for column, left in stale.items():
        click.echo(f"  {column}: {left} under an older key")
    if any(stale.values()):
        fail("a rotation is not finished: run `croupier pii rotate`")
    click.echo("every value is sealed under the current key")


@pii.command("rotate")
def pii_rotate() -> None:
    """Re-seal every value sealed under an older key with the first key of CROUPIER_PII_KEYS
    (put the new key first and keep the old ones until this is done). Safe beside live
    traffic and safe to run again."""
    from application.personal_data_rotation import ResealPersonalData

    async def go(container: AsyncContainer) -> Mapping[str, int]:
        async with container() as scope:
            return await (await scope.get(ResealPersonalData))()

    for column, count in with_container(go).items():
        click.echo(f"  {column}: {count} re-sealed")
    click.echo("done: every value is sealed under the current key")
