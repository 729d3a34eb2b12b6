"""`croupier aggregator`: game sessions for aggregators' games by hand (docs/aggregators.md).
The game launch flow (the Mini App asking for a game URL) will issue them itself; until then
an operator or a test issues one here and hands it to the aggregator's game."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from entrypoints.cli.environment import with_container

if TYPE_CHECKING:
    from dishka import AsyncContainer


@click.group("aggregator")
def aggregator() -> None:
    """Game aggregators calling the wallet over HTTP (Hub88-style)."""


@aggregator.command("session")
@click.argument("aggregator_name", metavar="AGGREGATOR")
@click.argument("player_id", type=click.IntRange(1))
@click.argument("currency")
@click.argument("game")
def aggregator_session(aggregator_name: str, player_id: int, currency: str, game: str) -> None:
    """Issue a game session token for PLAYER_ID playing GAME in CURRENCY at AGGREGATOR; it
    expires after CROUPIER_GAME_SESSION_TTL_S."""
    from application.aggregators import IssueGameSession
    from domain.money import CurrencyRegistry

    async def issue(container: AsyncContainer) -> str:
        currencies = await container.get(CurrencyRegistry)
        async with container() as scope:
            return await (await scope.get(IssueGameSession))(
                player_id, currencies.get(currency.upper()), game, aggregator_name
            )

    click.echo(with_container(issue))
