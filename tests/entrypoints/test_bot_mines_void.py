"""The stake of a mines game back before its first tile, in the chat (issue 25): a player
stakes, takes a time-out on the care screen, comes back to the field, is told no tile may be
revealed and takes the stake back; after a tile, the stake is in play. Written as
transcripts in English and Russian (bot-mines-void-{en,ru}.txt in MINES_VOID_TRANSCRIPT_DIR,
kept in docs/transcripts) for a person to read."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage

from domain.money import XTR, Money
from entrypoints.bot.handlers.mines import MinesOpen, MinesTile, MinesVoid
from entrypoints.bot.keyboards import Care, Menu
from tests.entrypoints.bot_player import _balance
from tests.entrypoints.test_bot_mines import _field, tapper

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

TRANSCRIPTS = Path(os.environ.get("MINES_VOID_TRANSCRIPT_DIR", "/tmp"))

WORDS = {
    "en": {
        "button": "↩️ Take my stake back (10 ⭐)",
        "refused": "No tile is revealed in this game yet, so you can take your stake of 10 ⭐ "
        "back with the button below.",
        "voided": "↩️ Game ended before the first tile: your stake of 10 ⭐ is back. "
        "Balance: 1000 ⭐",
        "already": "Your stake of 10 ⭐ was already returned.",
        "over": "This game is over. Start a new one from the games menu.",
    },
    "ru": {
        "button": "↩️ Вернуть ставку (10 ⭐)",
        "refused": "В этой игре ещё не открыта ни одна клетка, поэтому ставку 10 ⭐ можно "
        "вернуть кнопкой ниже.",
        "voided": "↩️ Игра завершена до первой клетки: ставка 10 ⭐ возвращена. Баланс: 1000 ⭐",
        "already": "Ставка 10 ⭐ уже возвращена.",
        "over": "Эта игра окончена. Начните новую из меню игр.",
    },
}


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_time_out_after_the_stake_leaves_the_stake_to_take_back(
    language,
    send,
    telegram,
    ready_player,
    engine,
    balances,
    unthrottle,
):
    words = WORDS[language]
    player = await ready_player(language)
    log: list[str] = [f"(a player whose Telegram speaks {language}, 1000 ⭐)"]
    tap = tapper(send, telegram, player, log)

    opened = await tap("💣 3", MinesOpen(stake=10, mines=3, press="void").pack())
    shown = next(c for c in opened if isinstance(c, SendMessage))
    rows = shown.reply_markup.inline_keyboard
    assert [len(row) for row in rows] == [5, 5, 5, 5, 5, 1]  # the field, then the way out
    game = await _field(engine, player.user.id)
    assert rows[-1][0].text == words["button"]
    assert rows[-1][0].callback_data == MinesVoid(game=game.id.hex).pack()
    assert await _balance(balances, engine, player) == Money(990, XTR)

    log.append("(the player opens the care screen in another message and takes a 24-hour break)")
    await tap("limits", Menu(action="limits").pack())
    await tap("time-out", Care(action="timeout").pack())
    await tap("24 hours", Care(action="timeout_ask", period="24h").pack())
    await tap("yes", Care(action="timeout_go", period="24h").pack())

    log.append("(back to the field)")
    safe = [t for t in range(25) if t not in game.positions]
    refused = await tap(f"tile {safe[0]}", MinesTile(game=game.id.hex, tile=safe[0]).pack())
    said = [c for c in refused if isinstance(c, SendMessage)]
    assert len(said) == 1
    assert words["refused"] in said[0].text
    assert not [c for c in refused if isinstance(c, EditMessageText)]  # the field stays
    under = said[0].reply_markup.inline_keyboard
    assert [[b.text for b in row] for row in under] == [[words["button"]]]
    assert under[0][0].callback_data == MinesVoid(game=game.id.hex, on_field=False).pack()

    await unthrottle(player)  # forget its taps: the bot allows 10 in 3 seconds
    back = await tap(words["button"], MinesVoid(game=game.id.hex).pack())
    edited = [c for c in back if isinstance(c, EditMessageText)]
    assert len(edited) == 1  # the field itself shows the end
    assert words["voided"] in edited[0].text
    assert not [c for c in back if isinstance(c, AnswerCallbackQuery) and c.text]
    cells = [b.text for row in edited[0].reply_markup.inline_keyboard for b in row]
    assert len(cells) == 25  # no button left but the field (its mines shown, to verify)
    assert cells.count("💣") == 3
    assert await _balance(balances, engine, player) == Money(1000, XTR)

    again = await tap(
        words["button"] + " (under the refusal)",
        MinesVoid(game=game.id.hex, on_field=False).pack(),
    )
    assert [c.text for c in again if isinstance(c, AnswerCallbackQuery)] == [words["already"]]
    late = await tap(f"tile {safe[1]}", MinesTile(game=game.id.hex, tile=safe[1]).pack())
    assert [c.text for c in late if isinstance(c, AnswerCallbackQuery)] == [words["over"]]
    path = TRANSCRIPTS / f"bot-mines-void-{language}.txt"
    await asyncio.to_thread(path.write_text, "\n".join(log) + "\n")


async def test_after_a_tile_the_stake_is_in_play(send, telegram, ready_player, engine):
    """The way out is only before the first tile: a stale take-back button answers why."""
    player = await ready_player()
    tap = tapper(send, telegram, player, [])
    await tap("💣 1", MinesOpen(stake=10, mines=1, press="late").pack())
    game = await _field(engine, player.user.id)
    safe = [t for t in range(25) if t not in game.positions]
    step = await tap(f"tile {safe[0]}", MinesTile(game=game.id.hex, tile=safe[0]).pack())
    rows = next(c for c in step if isinstance(c, EditMessageText)).reply_markup.inline_keyboard
    assert rows[-1][0].text.startswith("💰 Cash out")  # the cash-out replaced the way out
    stale = await tap("↩️ (stale)", MinesVoid(game=game.id.hex).pack())
    alerts = [c for c in stale if isinstance(c, AnswerCallbackQuery)]
    assert [(c.text, c.show_alert) for c in alerts] == [
        (
            "The stake can only be taken back before the first tile (or the game is already over).",
            True,
        )
    ]
