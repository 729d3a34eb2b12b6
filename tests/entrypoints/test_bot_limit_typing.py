"""A limit typed as free text (UKGC RTS 12), end to end through the Dispatcher: "250 ⭐" sets it,
junk, zero, a negative number and an absurd amount get a polite answer and the prompt waits, a
lower typed amount applies at once and a higher one waits for the cooling-off (SetLimit
decides, as for the buttons), and Cancel means a number sent after it is no limit.
Transcripts: .croupier/test/transcripts/bot-limit-typing-<language>.txt."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from domain.money import XTR
from domain.responsible import max_limit
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Care, Menu
from tests.entrypoints.bot_chat import Chat, buttons, chat  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

LANGUAGES = ["en", "ru"]
TYPE = Care(action="type", kind="deposit", period="24h").pack()
CANCEL = Care(action="type_cancel", kind="deposit", period="24h").pack()


async def _limit(engine, me: Chat) -> tuple[int, int | None] | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT amount, pending_amount FROM responsible_limits WHERE kind = 'deposit'"
                    " AND period = '24h' AND player_id = (SELECT id FROM players"
                    " WHERE telegram_user_id = :t)"
                ),
                {"t": me.player.user.id},
            )
        ).first()
    return None if row is None else (row[0], row[1])


async def _to_typing(me: Chat, t: Translator) -> None:
    await me.tap(t("menu.limits"), Menu(action="limits").pack())
    await me.tap(t("care.kind.deposit"), Care(action="kind", kind="deposit").pack())
    await me.tap(t("care.period.24h"), Care(action="period", kind="deposit", period="24h").pack())
    assert buttons(me.shown())[t("limit_typing.button")] == TYPE
    await me.tap(t("limit_typing.button"), TYPE)
    names = {"kind": t("care.kind.deposit"), "period": t("care.period.24h")}
    assert me.shown().text == t("limit_typing.ask", **names)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_typed_limit_is_decoded_and_the_use_case_decides(
    ready_player,
    chat,  # noqa: F811
    engine,
    language,
):
    t = Translator(language)
    me = chat(await ready_player(language))
    await _to_typing(me, t)
    for junk in ("lots", "2.5", "1e3"):
        await me.say(junk)
        assert me.shown().text == t("limit_typing.not_a_number")
        assert buttons(me.shown()) == {t("limit_typing.cancel"): CANCEL}
    for nothing in ("0", "-5"):
        await me.say(nothing)
        assert me.shown().text == t("limit_typing.not_positive")
    await me.say("99999999999999999999")
    assert me.shown().text == t("limit_typing.too_big", max=max_limit(XTR))
    assert await _limit(engine, me) is None  # nothing written by any of these

    await me.say("250 ⭐")
    names = {"kind": t("care.kind.deposit"), "period": t("care.period.24h")}
    assert me.shown().text == t("limit_typing.applied", amount="250 ⭐", **names)
    assert await _limit(engine, me) == (250, None)

    await _to_typing(me, t)
    await me.say("100")  # a decrease: at once
    assert me.shown().text == t("limit_typing.applied", amount="100 ⭐", **names)
    assert await _limit(engine, me) == (100, None)

    await _to_typing(me, t)
    await me.say("5 000")  # an increase: after the cooling-off, as with the buttons
    assert me.shown().text.startswith(t("care.limit_waits", at="@").split("@")[0])
    assert await _limit(engine, me) == (100, 5000)

    await _to_typing(me, t)
    await me.say("some")  # Cancel comes with the answer (the prompt holds the reply field)
    await me.tap(t("limit_typing.cancel"), CANCEL)
    assert buttons(me.shown())[t("limit_typing.button")] == TYPE  # the amount buttons again
    await me.say("300")  # no longer a limit: the bot did not get it
    assert await _limit(engine, me) == (100, 5000)
    me.write(f"bot-limit-typing-{language}.txt")
