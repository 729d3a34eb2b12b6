"""Mines in the bot, end to end through the Dispatcher: choose the mines, press tiles on the
inline-keyboard field, cash out; a double tap opens one game and a spam-pressed tile does one
thing. The conversation is written as a transcript (MINES_TRANSCRIPT) for a person to read."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from sqlalchemy import text

from entrypoints.bot.handlers.mines import MinesCash, MinesOpen, MinesTile
from entrypoints.bot.keyboards import PickGame, PickStake

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

TRANSCRIPT = Path(os.environ.get("MINES_TRANSCRIPT", "/tmp/croupier-bot-mines-transcript.txt"))


def _render(call: Any) -> str:
    """A bot message as a person sees it: its text, then its keyboard row by row."""
    lines = [f"BOT ({type(call).__name__}): {call.text}"]
    markup = call.reply_markup
    for row in markup.inline_keyboard if markup else ():
        lines.append("    " + " ".join(f"[{b.text}]" for b in row))
    return "\n".join(lines)


def tapper(send, telegram, player, log: list[str]) -> Callable[[str, str], Awaitable[list[Any]]]:
    """Tap a button as `player`: what the bot did is returned, and written to `log` (the
    transcript) as a person sees it."""

    async def tap(label: str, data: str) -> list[Any]:
        assert len(data.encode()) <= 64, data  # Telegram's bound on callback data
        before = len(telegram.calls)
        await send(player.tap(data))
        calls = telegram.calls[before:]
        log.append(f"PLAYER taps {label}  ({data})")
        log.extend(_render(c) for c in calls if isinstance(c, SendMessage | EditMessageText))
        alerts = [c for c in calls if isinstance(c, AnswerCallbackQuery) and c.text]
        log.extend(f"ALERT: {c.text}" for c in alerts)
        return calls

    return tap


async def _field(engine, player_user_id: int):
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT m.id, m.positions FROM mines_games m JOIN players p"
                    " ON p.id = m.player_id WHERE p.telegram_user_id = :t AND m.state = 'open'"
                ),
                {"t": player_user_id},
            )
        ).one()


async def test_a_mines_game_in_the_chat(send, telegram, ready_player, engine, unthrottle):
    player = await ready_player()
    log: list[str] = []

    tap = tapper(send, telegram, player, log)

    await tap("Mines 💣", PickGame(game="mines").pack())
    await tap("10 ⭐", PickStake(game="mines", stake=10).pack())
    counts = telegram.of(SendMessage)[-1].reply_markup.inline_keyboard[0]
    assert [b.text for b in counts] == ["💣 1", "💣 3", "💣 5", "💣 10", "💣 24"]
    three = counts[1].callback_data
    opened = await tap("💣 3", three)
    again = await tap("💣 3 again (a double tap)", three)
    fields = [c for c in opened if isinstance(c, SendMessage)]
    assert len(fields) == 1
    # No second game: the count keyboard is out of date once the field is shown (at most the
    # out-of-date toast and the menu answer the double tap).
    assert not [c for c in again if isinstance(c, SendMessage) and "💣" in (c.text or "")]
    grid = fields[0].reply_markup.inline_keyboard
    # the field, then the stake back, offered until the first tile (issue 25)
    assert [len(row) for row in grid] == [5, 5, 5, 5, 5, 1]
    # no cash-out before the first safe tile, so none is offered: what the first one pays
    assert "Cash out now" not in fields[0].text
    assert "The first safe tile pays 1.125x; you can cash out from then on." in fields[0].text

    game = await _field(engine, player.user.id)
    safe = [t for t in range(25) if t not in game.positions]
    data = MinesTile(game=game.id.hex, tile=safe[0]).pack()
    first = await tap(f"tile {safe[0]}", data)
    spam = [await tap(f"tile {safe[0]} again (spam)", data) for _ in range(3)]
    edits = [c for c in first if isinstance(c, EditMessageText)]
    assert len(edits) == 1
    assert all(not [c for c in calls if isinstance(c, EditMessageText)] for calls in spam)
    await unthrottle(player)  # forget its taps: the bot allows 10 in 3 seconds
    assert "Cash out now: 1.125x" in edits[0].text
    cash = edits[0].reply_markup.inline_keyboard[-1][0]
    assert cash.text == "💰 Cash out 11 ⭐"
    assert cash.callback_data == MinesCash(game=game.id.hex).pack()
    done = await tap("💰 Cash out", cash.callback_data)
    final = next(c for c in done if isinstance(c, EditMessageText))
    assert "Cashed out at 1.125x: 11 ⭐! Balance: 1001 ⭐" in final.text
    shown = [b.text for row in final.reply_markup.inline_keyboard for b in row]
    assert shown.count("💣") == 3
    assert shown.count("💎") == 1
    late = await tap(
        f"tile {safe[1]} after the end", MinesTile(game=game.id.hex, tile=safe[1]).pack()
    )
    assert [c.text for c in late if isinstance(c, AnswerCallbackQuery)] == [
        "This game is over. Start a new one from the games menu."
    ]

    # A second game, lost on a mine: the explosion shows.
    await unthrottle(player)
    await tap("10 ⭐", PickStake(game="mines", stake=10).pack())
    await tap("💣 24", MinesOpen(stake=10, mines=24, press="second").pack())
    lost = await _field(engine, player.user.id)
    mine = lost.positions[0]
    boom = await tap(f"tile {mine}", MinesTile(game=lost.id.hex, tile=mine).pack())
    last = next(c for c in boom if isinstance(c, EditMessageText))
    assert "A mine — the stake is lost. Balance: 991 ⭐" in last.text
    assert [b.text for row in last.reply_markup.inline_keyboard for b in row].count("💥") == 1
    await asyncio.to_thread(TRANSCRIPT.write_text, "\n".join(log) + "\n")


CAP_TRANSCRIPT = Path(
    os.environ.get("MINES_CAP_TRANSCRIPT", "/tmp/croupier-bot-mines-cap-transcript.txt")
)


AT_LIMIT = (
    "The next tile would pay over the payout limit, so this game pays at most 323283 ⭐: cash out."
)


async def test_a_ten_mine_game_plays_to_its_payout_limit_in_the_chat(
    send,
    telegram,
    ready_player,
    engine,
    unthrottle,
):
    """The bot's "💣 10" was refused at every stake (10 mines' last tile pays 3,236,072x, over
    the 1,000,000-Star limit). It opens; at 100 Stars the 12th safe tile would pay over the
    limit, so after 11 the caption says to cash out and a tile's press is a polite alert that
    changes nothing."""
    player = await ready_player()
    log: list[str] = []

    tap = tapper(send, telegram, player, log)

    await tap("100 ⭐", PickStake(game="mines", stake=100).pack())
    opened = await tap("💣 10", MinesOpen(stake=100, mines=10, press="cap").pack())
    assert [c for c in opened if isinstance(c, SendMessage)], log
    game = await _field(engine, player.user.id)
    safe = [t for t in range(25) if t not in game.positions]
    shown: Any = None
    for n, tile in enumerate(safe[:11]):
        if n in (6,):
            await unthrottle(player)  # forget its taps: the bot allows 10 in 3 seconds
        calls = await tap(f"tile {tile}", MinesTile(game=game.id.hex, tile=tile).pack())
        shown = next(c for c in calls if isinstance(c, EditMessageText))
    assert AT_LIMIT in shown.text
    assert shown.reply_markup.inline_keyboard[-1][0].text == "💰 Cash out 323283 ⭐"
    await unthrottle(player)
    for tile in (safe[11], game.positions[0]):
        refused = await tap(f"tile {tile}", MinesTile(game=game.id.hex, tile=tile).pack())
        assert [c.text for c in refused if isinstance(c, AnswerCallbackQuery)] == [AT_LIMIT]
        assert not [c for c in refused if isinstance(c, EditMessageText)]
    async with engine.connect() as conn:
        revealed = (
            await conn.execute(
                text("SELECT revealed, state FROM mines_games WHERE id = :id"), {"id": game.id}
            )
        ).one()
    assert (list(revealed.revealed), revealed.state) == (safe[:11], "open")
    done = await tap("💰 Cash out", MinesCash(game=game.id.hex).pack())
    final = next(c for c in done if isinstance(c, EditMessageText))
    assert "323283 ⭐! Balance: 324183 ⭐" in final.text
    await asyncio.to_thread(CAP_TRANSCRIPT.write_text, "\n".join(log) + "\n")


REFUSED_TRANSCRIPT = Path(
    os.environ.get("MINES_REFUSED_TRANSCRIPT", "/tmp/croupier-bot-mines-refused-transcript.txt")
)


async def test_a_player_blocked_mid_game_is_told_why_and_still_cashes_out(
    send,
    telegram,
    ready_player,
    engine,
    uow_factory,
):
    from domain.players import PlayerStatus
    from tests.entrypoints.bot_player import _player_id

    player = await ready_player()
    log: list[str] = []

    tap = tapper(send, telegram, player, log)

    await tap("💣 1", MinesOpen(stake=10, mines=1, press="blocked").pack())
    game = await _field(engine, player.user.id)
    safe = [t for t in range(25) if t not in game.positions]
    await tap(f"tile {safe[0]}", MinesTile(game=game.id.hex, tile=safe[0]).pack())
    async with uow_factory() as uow:
        await uow.players.set_status(await _player_id(engine, player), PlayerStatus.BLOCKED, "t")
        await uow.commit()
    log.append("(staff block the player)")
    refused = await tap(f"tile {safe[1]}", MinesTile(game=game.id.hex, tile=safe[1]).pack())
    said = [c.text for c in refused if isinstance(c, SendMessage)]
    assert said == [
        "Your account is blocked. Contact /paysupport if you think this is a mistake."
        " You can still ask to withdraw your balance: our team reviews it.\n\n"
        "You cannot reveal more tiles now, but you can still cash out the tiles already revealed."
    ]
    assert not [c for c in refused if isinstance(c, EditMessageText)]  # the field stays
    done = await tap("💰 Cash out", MinesCash(game=game.id.hex).pack())
    final = next(c for c in done if isinstance(c, EditMessageText))
    assert "Cashed out at" in final.text
    await asyncio.to_thread(REFUSED_TRANSCRIPT.write_text, "\n".join(log) + "\n")
