"""`croupier apikey`: the API keys of internal services calling the gRPC API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click

from domain.access import SERVICES as SERVICE_NAMES
from entrypoints.cli.environment import with_container

if TYPE_CHECKING:
    from dishka import AsyncContainer


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
    help="A service the key may call (dice: settle Telegram dice bets); repeat for several.",
)
@click.option(
    "--cap",
    "caps",
    multiple=True,
    metavar="CURRENCY=MINOR_UNITS",
    help="The largest deposit or seamless credit one call may make in CURRENCY, in minor "
    "units (XTR=5000); repeat per currency. A currency without a cap is refused.",
)
@click.option(
    "--daily-cap",
    "daily_caps",
    multiple=True,
    metavar="CURRENCY=MINOR_UNITS",
    help="The most all its deposits or seamless credits may bring in per UTC day in CURRENCY, "
    "in minor units; repeat per currency.",
)
@click.option(
    "--free-round-budget",
    "free_round_budget",
    multiple=True,
    metavar="CURRENCY=MINOR_UNITS",
    help="What declared free rounds (seamless credits without a stake) may pay per UTC day in "
    "CURRENCY, in minor units; repeat per currency. Default: no free rounds.",
)
@click.option(
    "--expires-in-days",
    type=click.IntRange(1, 3650),
    default=None,
    help="The key stops working after this many days (default: until revoked).",
)
def apikey_create(
    name: str,
    services: tuple[str, ...],
    caps: tuple[str, ...],
    daily_caps: tuple[str, ...],
    free_round_budget: tuple[str, ...],
    expires_in_days: int | None,
) -> None:
    """Issue a key for the calling service NAME. The key is shown once; only its hash is kept.
    NAME is also the provider id of its seamless-wallet transactions."""
    from application.access import IssueApiKey

    limits = _caps(caps, "--cap")
    daily = _caps(daily_caps, "--daily-cap")
    free = _caps(free_round_budget, "--free-round-budget")
    expires_at = (
        None if expires_in_days is None else datetime.now(UTC) + timedelta(days=expires_in_days)
    )

    async def issue(container: AsyncContainer) -> str:
        async with container() as scope:
            issued = await (await scope.get(IssueApiKey))(
                name,
                frozenset(services),
                caps=limits,
                daily_caps=daily,
                free_round_budget=free,
                expires_at=expires_at,
            )
        return issued.plaintext

    key = with_container(issue)
    click.echo(f"API key for {name} ({', '.join(sorted(services))}); store it now:")
    click.echo(key)


def _caps(given: tuple[str, ...], option: str) -> dict[str, int]:
    caps: dict[str, int] = {}
    for item in given:
        code, _, amount = item.partition("=")
        if not amount.isdigit() or len(amount) > 18 or code.upper() in caps:
            raise click.BadParameter(
                f"{item[:40]!r}: write CURRENCY=MINOR_UNITS once per currency", param_hint=option
            )
        caps[code.upper()] = int(amount)
    return caps


@apikey.command("revoke")
@click.argument("name")
def apikey_revoke(name: str) -> None:
    """Revoke the active key of NAME (takes effect within seconds everywhere)."""
    from application.access import RevokeApiKey

    async def revoke(container: AsyncContainer) -> None:
        async with container() as scope:
            await (await scope.get(RevokeApiKey))(name)

    with_container(revoke)
    click.echo(f"key of {name} revoked")


@apikey.command("list")
def apikey_list() -> None:
    """List keys (names, services, caps, state; never secrets)."""
    from application.access import ListApiKeys

    async def listing(container: AsyncContainer) -> list[str]:
        async with container() as scope:
            keys = await (await scope.get(ListApiKeys))()
        now = datetime.now(UTC)
        return [
            f"{k.name:<24} {','.join(sorted(k.services)):<24} "
            f"{_listed(k.caps) or 'no-caps':<24} "
            f"{_listed(k.daily_caps, '/day') or 'no-daily-caps':<24} "
            + _state(k.revoked_at, k.expires_at, now)
            for k in keys
        ]

    for line in with_container(listing):
        click.echo(line)


def _state(revoked_at: datetime | None, expires_at: datetime | None, now: datetime) -> str:
    if revoked_at is not None:
        return f"revoked {revoked_at.isoformat()}"
    if expires_at is not None:
        return f"{'expired' if expires_at <= now else 'expires'} {expires_at.isoformat()}"
    return "active"


def _listed(caps: Mapping[str, int], suffix: str = "") -> str:
    return ",".join(f"{code}={cap}{suffix}" for code, cap in sorted(caps.items()))
