"""`croupier apikey`: the API keys of internal services calling the gRPC API."""

from __future__ import annotations

import click
from dishka import AsyncContainer

from application.access import IssueApiKey, ListApiKeys, RevokeApiKey
from domain.access import SERVICES as SERVICE_NAMES
from entrypoints.cli.environment import with_container


@click.group()
def apikey() -> None:
    """API keys of internal services calling the gRPC API."""


@apikey.command("create")
@click.argument("name")
@click.option(
    "--service",
    "services",
    multiple=True,
    required=True,
    type=click.Choice(sorted(SERVICE_NAMES)),
    help="A service the key may call; repeat for several.",
)
def apikey_create(name: str, services: tuple[str, ...]) -> None:
    """Issue a key for the calling service NAME. The key is shown once; only its hash is kept.
    NAME is also the provider id of its seamless-wallet transactions."""

    async def issue(container: AsyncContainer) -> str:
        async with container() as scope:
            issued = await (await scope.get(IssueApiKey))(name, frozenset(services))
        return issued.plaintext

    key = with_container(issue)
    click.echo(f"API key for {name} ({', '.join(sorted(services))}); store it now:")
    click.echo(key)


@apikey.command("revoke")
@click.argument("name")
def apikey_revoke(name: str) -> None:
    """Revoke the active key of NAME (takes effect within seconds everywhere)."""

    async def revoke(container: AsyncContainer) -> None:
        async with container() as scope:
            await (await scope.get(RevokeApiKey))(name)

    with_container(revoke)
    click.echo(f"key of {name} revoked")


@apikey.command("list")
def apikey_list() -> None:
    """List keys (names, services, state; never secrets)."""

    async def listing(container: AsyncContainer) -> list[str]:
        async with container() as scope:
            keys = await (await scope.get(ListApiKeys))()
        return [
            f"{k.name:<24} {','.join(sorted(k.services)):<24} "
            f"{'revoked ' + k.revoked_at.isoformat() if k.revoked_at else 'active'}"
            for k in keys
        ]

    for line in with_container(listing):
        click.echo(line)
