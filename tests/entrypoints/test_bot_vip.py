"""/vip in the bot: the level and the progress in the player's numbers, a claim button that
pays the rakeback once however often it is tapped, the daily play-money bonus once a day, and
a player on a break told their standing and nothing about rakeback or bonuses. The
conversations are written as transcripts to .croupier/test/transcripts/bot-vip-<language>.txt
and bot-vip-break-<language>.txt for a person to read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from dishka import Provider, Scope, provide
from sqlalchemy import text

from application.betting import PlaceBetCommand
from application.ports import Clock
from application.postings import CreditDepositCommand
from application.responsible import StartTimeout
from domain.money import XTR, Money
from domain.responsible import TimeoutPeriod
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Gate
from tests.entrypoints.bot_chat import buttons, chat  # noqa: F401 - fixture
from tests.entrypoints.conftest import bot_runtime
from tests.entrypoints.telegram_fakes import Player

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


class _Ahead:
    """The bot's clock two minutes ahead of the bets' (past the claim's settlement grace)."""

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(minutes=2)


class _AheadClock(Provider):
    @provide(scope=Scope.APP, override=True)
    def clock(self) -> Clock:
        return _Ahead()


@pytest.fixture(scope="module")
async def runtime(servers, tmp_path_factory):
    container, runtime = await bot_runtime(
        servers, tmp_path_factory.mktemp("bot-vip"), _AheadClock()
    )
    yield runtime
    await container.close()


async def _joined(chat, engine, language: str):  # noqa: F811
    player = Player(language)
    talk = chat(player)
    await talk.say("/start")
    await talk.tap("accept", Gate(accept=True).pack())
    talk.lines.clear()
    async with engine.connect() as conn:
        player_id = (
            await conn.execute(
                text("SELECT id FROM players WHERE telegram_user_id = :t"), {"t": player.user.id}
            )
        ).scalar_one()
    return talk, player_id


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_vip_shows_the_level_pays_rakeback_once_and_the_daily_bonus(
    chat,  # noqa: F811
    engine,
    credit,
    fund_bankroll,
    place,
    unique_key,
    language,
):
    t = Translator(language)
    await fund_bankroll()
    talk, player_id = await _joined(chat, engine, language)
    await credit(CreditDepositCommand(player_id, Money(6_000, XTR), unique_key("vip")))
    for _ in range(3):
        await place(
            PlaceBetCommand(player_id, uuid.uuid4(), "coin", Money(2_000, XTR), {"side": "heads"})
        )
    await talk.say("/vip")
    screen = talk.shown()
    assert t("vip.title", level=t("vip.levels.Silver")) in screen.text
    assert "44000 ⭐" in screen.text  # 50,000 for Gold less the 6,000 wagered
    claim_label, claim_data = next(
        (label, data) for label, data in buttons(screen).items() if data.startswith("v:claim")
    )
    daily_label = t("vip.daily_take", amount=Money(100_00, _fun()))
    assert daily_label in buttons(screen)
    await talk.tap(claim_label, claim_data)
    paid_text = talk.shown().text
    assert "⭐" in paid_text
    await talk.tap(claim_label + " (again)", claim_data)  # a double tap: the same claim
    assert talk.shown().text == paid_text
    async with engine.connect() as conn:
        claims = (
            await conn.execute(
                text("SELECT count(*) FROM rakeback_claims WHERE player_id = :p"),
                {"p": player_id},
            )
        ).scalar_one()
    assert claims == 1
    await talk.tap(t("vip.back"), buttons(talk.shown())[t("vip.back")])
    assert t("vip.nothing_yet") in talk.shown().text
    daily_data = buttons(talk.shown())[daily_label]
    await talk.tap(daily_label, daily_data)
    assert talk.shown().text == t("vip.daily_paid", amount=Money(100_00, _fun()))
    await talk.tap(daily_label + " (again, from an old screen)", daily_data)
    assert "UTC" in talk.shown().text
    talk.write(f"bot-vip-{language}.txt")


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_player_on_a_break_hears_nothing_about_rakeback_or_bonuses(
    chat,  # noqa: F811
    engine,
    uow_factory,
    clock,
    language,
):
    talk, player_id = await _joined(chat, engine, language)
    await StartTimeout(uow_factory, clock)(player_id, TimeoutPeriod("24h"))
    await talk.say("/vip")
    shown = talk.shown().text
    t = Translator(language)
    for word in (t("vip.nothing_yet"), "rakeback", "рейкбек", "FUN", "VIP"):
        assert word not in shown
    assert buttons(talk.shown()) == {} or all(
        not data.startswith("v:") for data in buttons(talk.shown()).values()
    )
    talk.write(f"bot-vip-break-{language}.txt")


def _fun():
    from domain.money import FUN

    return FUN
