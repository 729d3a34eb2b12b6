"""A prompt waiting for typed text ends when the player does something else (issue 23), through
the Dispatcher: after "✏️ Type an amount" for a limit or a stake, a tap elsewhere or a command,
and then a bare number, sets no limit and picks no stake. One middleware does it for every
such prompt (`entrypoints.bot.middlewares.EndTypedPrompts`); a withdrawal's confirm screen,
whose draft waits with no state, still confirms.
Transcript: .croupier/test/transcripts/bot-typed-prompts-en.txt."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Care, Menu, PickGame
from entrypoints.bot.stake_picker import StakeAsk
from tests.entrypoints.bot_chat import Chat, buttons, chat  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

TYPE = Care(action="type", kind="deposit", period="24h").pack()


async def _limits(engine, me: Chat) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT count(*) FROM responsible_limits WHERE player_id = (SELECT id FROM"
                    " players WHERE telegram_user_id = :t)"
                ),
                {"t": me.player.user.id},
            )
        ).scalar_one()


async def _ask_limit(me: Chat, t: Translator) -> None:
    await me.tap(t("menu.limits"), Menu(action="limits").pack())
    await me.tap(t("care.kind.deposit"), Care(action="kind", kind="deposit").pack())
    await me.tap(t("care.period.24h"), Care(action="period", kind="deposit", period="24h").pack())
    await me.tap(t("limit_typing.button"), TYPE)
    names = {"kind": t("care.kind.deposit"), "period": t("care.period.24h")}
    assert me.shown().text == t("limit_typing.ask", **names)


@pytest.mark.parametrize(
    "elsewhere",
    [
        ("tap", "menu.balance", Menu(action="balance").pack()),
        ("tap", "menu.games", Menu(action="games").pack()),
        ("say", "/limits", None),
    ],
    ids=["balance", "games", "command"],
)
async def test_a_limit_prompt_left_by_another_road_reads_no_number(
    ready_player,
    chat,  # noqa: F811
    engine,
    elsewhere,
):
    t = Translator("en")
    me = chat(await ready_player("en"))
    await _ask_limit(me, t)
    how, label, data = elsewhere
    if how == "tap":
        await me.tap(t(label), data)
    else:
        await me.say(label)
    calls = await me.say("250")
    assert await _limits(engine, me) == 0  # no limit: the prompt ended with the other road
    assert next(c.text for c in calls if hasattr(c, "text")) == t("nav.not_understood")
    if label == "menu.balance":
        me.write("bot-typed-prompts-en.txt")


async def test_a_limit_prompt_still_reads_the_number_typed_next(
    ready_player,
    chat,  # noqa: F811
    engine,
):
    t = Translator("en")
    me = chat(await ready_player("en"))
    await _ask_limit(me, t)
    await me.say("lots")  # junk keeps the prompt: the answer says what would do
    assert me.shown().text == t("limit_typing.not_a_number")
    await me.say("250")
    assert await _limits(engine, me) == 1


async def test_a_stake_prompt_left_by_another_road_reads_no_number(
    ready_player,
    chat,  # noqa: F811
):
    t = Translator("en")
    me = chat(await ready_player("en"))
    await me.tap(t("menu.games"), Menu(action="games").pack())
    await me.tap("coin", PickGame(game="coin").pack())
    ask = StakeAsk(game="coin", stake=10).pack()
    assert ask in buttons(me.shown()).values()
    await me.tap(t("stakes.type"), ask)
    await me.tap(t("menu.balance"), Menu(action="balance").pack())
    calls = await me.say("25")
    # Not the picker at 25 ⭐: the bot did not read it as a stake, and says so.
    assert next(c.text for c in calls if hasattr(c, "text")) == t("nav.not_understood")
