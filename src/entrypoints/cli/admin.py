"""`croupier admin`: staff accounts of the admin API (the first admin is made here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from domain.staff import Role
from entrypoints.cli.environment import with_container

if TYPE_CHECKING:
    from dishka import AsyncContainer


@click.group()
def admin() -> None:
    """Staff accounts of the admin API."""


@admin.command("create")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.ADMIN.value,
    show_default=True,
)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 12 characters; prompted for when not given (or set CROUPIER_ADMIN_PASSWORD).",
    envvar="CROUPIER_ADMIN_PASSWORD",
)
def admin_create(username: str, role: str, password: str) -> None:
    """Create a staff account, e.g. the first admin: `croupier admin create alice --role admin`."""
    from application.staff import Actor, CreateStaff

    async def create(container: AsyncContainer) -> str:
        async with container() as scope:
            member = await (await scope.get(CreateStaff))(
                username, password, Role(role), Actor("cli")
            )
        return f"{member.username} created with role {member.role}"

    click.echo(with_container(create))
