"""The limits screen end to end: a loss limit reads right for a net winner (nothing used, and how
far ahead they are) and a net loser, and the confirm button appears only when a change can take
effect (a raise or removal past its 24-hour cooling-off). Transcripts:
.croupier/test/transcripts/bot-limits-<language>.txt."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Care, Menu, PickStake
from tests.entrypoints.bot_chat import Chat, buttons, chat  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

LANGUAGES = ["en", "ru"]
LOSS_24H = Care(action="set", kind="loss", period="24h", value=500).pack()


async def _dice_bet(me: Chat, telegram, option: str, value: int) -> None:
    """A 100 ⭐ bet on the bot's dice, which lands on `value`."""
    await me.tap("Play for 100 ⭐", PickStake(game="tg_dice", stake=100).pack())
    telegram.dice_values.append(value)
    # The button also shows its multiplier ("= 6 ×5.82"): found by the option's own words.
    label, data = next((k, v) for k, v in buttons(me.shown()).items() if k.startswith(option))
    await me.tap(label, data)


async def _limits(me: Chat, t: Translator) -> str:
    await me.tap(t("menu.limits"), Menu(action="limits").pack())
    return me.shown().text


def _line(status: str, t: Translator) -> str:
    kind = t("care.kind.loss")
    return next(line for line in status.splitlines() if kind in line)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_loss_limit_reads_right_for_a_winner_and_a_loser(
    ready_player,
    chat,  # noqa: F811
    telegram,
    language,
):
    t = Translator(language)
    me = chat(await ready_player(language))
    await me.tap("500 ⭐", LOSS_24H)
    six = t("game_texts.option.tg_dice_face", face=6)
    await _dice_bet(me, telegram, six, 6)  # a win: the player is ahead
    won = int(re.findall(r"\+(\d+)", telegram.texts()[-1])[0])  # the result's net: "+482"
    assert won > 0
    line = _line(await _limits(me, t), t)
    assert line == t(
        "care.limit_line_ahead",
        kind=t("care.kind.loss"),
        period=t("care.period.24h"),
        amount="500 ⭐",
        ahead=f"{won} ⭐",
        remaining=f"{500 + won} ⭐",
    )
    assert not re.search(r"[-−]\d", line)  # never a negative figure

    for _ in range(8):  # losses wipe the gain out and then some: 800 ⭐ lost
        await _dice_bet(me, telegram, six, 1)
    lost = 800 - won
    line = _line(await _limits(me, t), t)
    assert line == t(
        "care.limit_line",
        kind=t("care.kind.loss"),
        period=t("care.period.24h"),
        amount="500 ⭐",
        used=f"{lost} ⭐",
        remaining=f"{max(0, 500 - lost)} ⭐",
    )
    assert "XTR" not in me.shown().text
    me.write(f"bot-limits-figures-{language}.txt")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_confirm_is_offered_only_when_the_change_can_take_effect(
    ready_player,
    chat,  # noqa: F811
    engine,
    language,
):
    t = Translator(language)
    me = chat(await ready_player(language))
    confirm = Care(action="confirm", kind="loss", period="24h").pack()
    await _limits(me, t)
    assert confirm not in buttons(me.shown()).values()  # nothing pending
    await me.tap("500 ⭐", LOSS_24H)
    await me.tap("5000 ⭐", Care(action="set", kind="loss", period="24h", value=5000).pack())
    assert me.shown().text.startswith(t("care.limit_waits", at="@").split("@")[0])
    assert confirm not in buttons(me.shown()).values()  # the cooling-off runs
    status = await _limits(me, t)
    assert t("care.pending_raise", amount="5000 ⭐") in status
    assert confirm not in buttons(me.shown()).values()

    async with engine.begin() as conn:  # a day goes by
        await conn.execute(
            text(
                "UPDATE responsible_limits SET pending_requested_at = pending_requested_at"
                " - interval '25 hours' WHERE player_id = (SELECT id FROM players"
                " WHERE telegram_user_id = :t)"
            ),
            {"t": me.player.user.id},
        )
    status = await _limits(me, t)
    label = t("care.confirm_change", kind=t("care.kind.loss"), period=t("care.period.24h"))
    assert buttons(me.shown())[label] == confirm
    assert (
        t("care.pending_ready", change=t("care.pending_raise", amount="5000 ⭐"), at="@").split(
            "@"
        )[0]
        in status
    )
    await me.tap(label, confirm)
    assert me.shown().text == t("care.limit_confirmed")
    line = _line(await _limits(me, t), t)
    assert "5000 ⭐" in line
    assert confirm not in buttons(me.shown()).values()  # done: nothing left to confirm
    me.write(f"bot-limits-confirm-{language}.txt")
