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
