"""The prompt at the first deposit (issue 23, UKGC RTS 12) through the Dispatcher: a player who
never set a deposit limit is asked before the amounts; "No limit for now" is remembered and
never asked again; a limit set from the prompt (a button or typed) leads back to the deposit.
Transcripts: .croupier/test/transcripts/bot-deposit-prompt-<language>.txt."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from entrypoints.bot.deposit_prompt import DepositPromptAnswer
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import FROM_DEPOSIT, Care, Deposit, Menu
from tests.entrypoints.bot_chat import Chat, buttons, chat  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

LANGUAGES = ["en", "ru"]
DEPOSIT = Menu(action="deposit").pack()
NO_LIMIT = DepositPromptAnswer().pack()
# The deposit's road: the limit screens carry where the player came from (Care.origin).
DAY = Care(action="period", kind="deposit", period="24h", origin=FROM_DEPOSIT).pack()
TYPE = Care(action="type", kind="deposit", period="24h", origin=FROM_DEPOSIT).pack()


async def _answered(engine, me: Chat) -> bool:
    async with engine.connect() as conn:
        return bool(
            (
                await conn.execute(
                    text(
                        "SELECT deposit_limit_prompt_answered_at IS NOT NULL FROM"
                        " responsible_profiles WHERE player_id = (SELECT id FROM players"
                        " WHERE telegram_user_id = :t)"
                    ),
                    {"t": me.player.user.id},
                )
            ).scalar()
        )


def _is_prompt(me: Chat, t: Translator) -> None:
    assert me.shown().text == t("deposit_prompt.ask")
    shown = buttons(me.shown())
    assert shown[t("deposit_prompt.no_limit")] == NO_LIMIT
    assert shown[t("care.period.24h")] == DAY
    assert Deposit(amount=100).pack() not in shown.values()  # no amount before an answer


def _is_amounts(me: Chat, t: Translator) -> None:
    assert me.shown().text == t("deposit.choose")
    assert buttons(me.shown())["100 ⭐"] == Deposit(amount=100).pack()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_no_limit_for_now_is_remembered_and_not_asked_again(
    ready_player,
    chat,  # noqa: F811
    engine,
    language,
):
    t = Translator(language)
    me = chat(await ready_player(language))
    await me.tap(t("menu.deposit"), DEPOSIT)
    _is_prompt(me, t)
    assert not await _answered(engine, me)

    await me.tap(t("deposit_prompt.no_limit"), NO_LIMIT)
    _is_amounts(me, t)
    assert await _answered(engine, me)

    await me.say("/start")  # the main menu afresh, as a player coming back would see it
    await me.tap(t("menu.deposit"), DEPOSIT)
    _is_amounts(me, t)  # answered: the prompt never stands in the way again
    me.write(f"bot-deposit-prompt-{language}.txt")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_limit_set_from_the_prompt_leads_back_to_the_deposit(
    ready_player,
    chat,  # noqa: F811
    engine,
    language,
):
    t = Translator(language)
    me = chat(await ready_player(language))
    await me.tap(t("menu.deposit"), DEPOSIT)
    _is_prompt(me, t)
    await me.tap(t("care.period.24h"), DAY)
    assert buttons(me.shown())[t("limit_typing.button")] == TYPE  # the amount buttons
    await me.tap(t("limit_typing.button"), TYPE)
    await me.say("250")
    names = {"kind": t("care.kind.deposit"), "period": t("care.period.24h")}
    assert me.shown().text == t("limit_typing.applied", amount="250 ⭐", **names)
    assert buttons(me.shown())[t("deposit_prompt.continue")] == DEPOSIT

    await me.tap(t("deposit_prompt.continue"), DEPOSIT)
    _is_amounts(me, t)  # a deposit limit is an answer: straight to the amounts
    assert not await _answered(engine, me)  # nothing else written: the limit says it
    me.write(f"bot-deposit-prompt-limit-{language}.txt")


async def test_a_limit_set_by_button_from_the_prompt_offers_the_deposit_too(
    ready_player,
    chat,  # noqa: F811
):
    t = Translator("en")
    me = chat(await ready_player("en"))
    await me.tap(t("menu.deposit"), DEPOSIT)
    await me.tap(t("care.period.24h"), DAY)
    button = Care(action="set", kind="deposit", period="24h", value=500, origin=FROM_DEPOSIT)
    await me.tap("500 ⭐", button.pack())
    assert me.shown().text == t("care.limit_applied")
    assert buttons(me.shown())[t("deposit_prompt.continue")] == DEPOSIT
    await me.tap(t("deposit_prompt.continue"), DEPOSIT)
    _is_amounts(me, t)
