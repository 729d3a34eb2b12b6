"""`croupier aggregator`: game sessions for aggregators' games by hand, and the catalogue of
their games: refresh it from an aggregator, list it, switch a game on or off for players
(docs/aggregators.md). The Mini App's launch issues sessions itself; one issued here is for
a test or a support case."""

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


@aggregator.command("forget-answers")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=1),
    default=None,
    help="Keep this many days of answers (default: CROUPIER_AGGREGATOR_ANSWER_RETENTION_DAYS).",
)
def forget_answers(older_than_days: int | None) -> None:
    """Delete the answers kept by request_uuid longer than the retention, in short
    transactions. Run it daily (cron, a systemd timer) beside `croupier outbox prune`; the
    money is idempotent on the transaction ids, which are never deleted."""
    from application.aggregators import ForgetOldAnswers
    from entrypoints.settings import Settings

    async def forget(container: AsyncContainer) -> tuple[int, int]:
        settings = await container.get(Settings)
        days = older_than_days or settings.aggregator_answer_retention_days
        async with container() as scope:
            return days, await (await scope.get(ForgetOldAnswers))(days)

    days, deleted = with_container(forget)
    click.echo(f"deleted {deleted} kept answer(s) older than {days} days")


@aggregator.group("games")
def games() -> None:
    """The catalogue of an aggregator's games (docs/aggregators.md, "The catalogue")."""


@games.command("refresh")
@click.argument("aggregator_name", metavar="AGGREGATOR")
def games_refresh(aggregator_name: str) -> None:
    """Ask AGGREGATOR for its games list now and update the catalogue (new games come in
    switched off; a game gone from the list is no longer launchable)."""
    from application.aggregators import RefreshAggregatorGames
    from domain.aggregator_games import RefreshResult

    async def refresh(container: AsyncContainer) -> RefreshResult:
        async with container() as scope:
            return await (await scope.get(RefreshAggregatorGames))(aggregator_name)

    done = with_container(refresh)
    click.echo(
        f"{done.aggregator}: {done.listed} listed, {done.added} new (switched off),"
        f" {done.delisted} gone from the list"
    )


@games.command("list")
@click.argument("aggregator_name", metavar="[AGGREGATOR]", required=False)
def games_list(aggregator_name: str | None) -> None:
    """Every game of the catalogue (of AGGREGATOR), with its switches."""
    from application.aggregators import ListAggregatorGames
    from domain.aggregator_games import AggregatorGame

    async def read(container: AsyncContainer) -> list[AggregatorGame]:
        async with container() as scope:
            return list(await (await scope.get(ListAggregatorGames))(aggregator_name))

    for game in with_container(read):
        state = "launchable" if game.launchable else "off"
        click.echo(
            f"{game.aggregator}\t{game.game_code}\t{game.name}\t{state}"
            f"\toperator={'on' if game.operator_enabled else 'off'}"
            f"\taggregator={'on' if game.provider_enabled else 'off'}"
            f"\t{'listed' if game.listed else 'unlisted'}"
        )


def _switch(aggregator_name: str, game: str, enabled: bool) -> None:
    from application.aggregators import SetAggregatorGameEnabled
    from application.staff import Actor
    from domain.aggregator_games import AggregatorGame

    async def switch(container: AsyncContainer) -> AggregatorGame:
        async with container() as scope:
            return await (await scope.get(SetAggregatorGameEnabled))(
                aggregator_name, game, enabled, Actor("cli")
            )

    changed = with_container(switch)
    note = "" if changed.launchable or not enabled else " (not launchable: the aggregator's off)"
    click.echo(f"{changed.aggregator} {changed.game_code}: {'on' if enabled else 'off'}{note}")


@games.command("enable")
@click.argument("aggregator_name", metavar="AGGREGATOR")
@click.argument("game")
def games_enable(aggregator_name: str, game: str) -> None:
    """Offer GAME of AGGREGATOR to players (audited as the CLI)."""
    _switch(aggregator_name, game, True)


@games.command("disable")
@click.argument("aggregator_name", metavar="AGGREGATOR")
@click.argument("game")
def games_disable(aggregator_name: str, game: str) -> None:
    """Stop offering GAME of AGGREGATOR to players (audited as the CLI)."""
    _switch(aggregator_name, game, False)
