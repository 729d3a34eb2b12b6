"""Notifications through the real bot and PostgreSQL (issue 23): two players open 🔔
Notifications (the main menu's button and /notifications), the Russian one turns deposits off
and learns that withdrawal results stay on; then three deposits are credited by the deposit
use case, the outbox relay publishes them, the notice listener reads them from the Redis
stream and the sender delivers through a mocked Bot API session answering the English
player's first message with a 429 (retry_after 1) and the third player's with a 403. The
English player gets "💰 Your deposit of 127 ⭐ is credited" once, after the retry; the Russian
player gets nothing; the third is unreachable. Transcripts:
/work/shots/bot/notifications-{en,ru}.txt."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from sqlalchemy import text

from adapters.redis_client import create_redis
from adapters.redis_event_stream import RedisEventStream
from application.notices import CrashResultListener, NotifyOfEvents, ReadyCrashResults, SendNotices
from application.postings import CreditDepositCommand
from domain.money import XTR, Money
from entrypoints.bot.keyboards import Menu
from entrypoints.bot.notices import TelegramMessenger
from tests.entrypoints.bot_player import _player_id
from tests.entrypoints.telegram_fakes import BOT_TOKEN
from tests.entrypoints.test_bot_crash import _render
from tests.entrypoints.test_bot_crash_results import ScriptedTelegram

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

SHOTS = Path(os.environ.get("CROUPIER_SHOTS", "/work/shots")) / "bot"


async def test_notifications_are_chosen_in_the_bot_and_sent_at_telegrams_pace(
    send,
    telegram,
    ready_player,
    engine,
    uow_factory,
    clock,
    credit,
    unique_key,
    event_relay,
    servers,
):
    en, ru, gone = [await ready_player(lang, balance=0) for lang in ("en", "ru", "en")]
    logs: dict[str, list[str]] = {"en": [], "ru": []}

    async def say(player: Any, words: str, update: Any, log: list[str]) -> list[Any]:
        before = len(telegram.calls)
        await send(update)
        calls = telegram.calls[before:]
        log.append(f"PLAYER {words}")
        log.extend(_render(c) for c in calls if isinstance(c, SendMessage | EditMessageText))
        log.extend(
            f"ALERT: {c.text}" for c in calls if isinstance(c, AnswerCallbackQuery) and c.text
        )
        return calls

    def buttons(calls: list[Any]) -> dict[str, str]:
        screens = [c for c in calls if isinstance(c, SendMessage | EditMessageText)]
        rows = next(s for s in reversed(screens) if s.reply_markup).reply_markup.inline_keyboard
        return {b.text: b.callback_data for row in rows for b in row}

    # English: the main menu's button; Russian: the command.
    menu = await say(en, "sends /start", en.message("/start"), logs["en"])
    entry = buttons(menu)["🔔 Notifications"]
    assert entry == Menu(action="notifications").pack()
    screen = await say(en, "taps 🔔 Notifications", en.tap(entry), logs["en"])
    assert set(buttons(screen)) >= {"✅ Deposits credited", "🔒 Withdrawal results"}
    screen = await say(ru, "sends /notifications", ru.message("/notifications"), logs["ru"])
    shown = buttons(screen)
    screen = await say(
        ru, "taps ✅ Зачисление пополнений", ru.tap(shown["✅ Зачисление пополнений"]), logs["ru"]
    )
    assert "🔕 Зачисление пополнений" in buttons(screen)
    refused = await say(
        ru, "taps 🔒 Результаты вывода", ru.tap(shown["🔒 Результаты вывода"]), logs["ru"]
    )
    alerts = [c.text for c in refused if isinstance(c, AnswerCallbackQuery)]
    assert alerts == ["Уведомления о выводе нельзя выключить."]

    redis = create_redis(servers.redis_url)
    events = RedisEventStream(redis, f"test-notify-{secrets.token_hex(4)}", "test")
    ready = ReadyCrashResults(uow_factory)
    listener = CrashResultListener(events, ready, NotifyOfEvents(uow_factory, clock), block_ms=50)
    session = ScriptedTelegram(busy={en.chat.id}, blocked={gone.chat.id})
    sender = SendNotices(uow_factory, clock, TelegramMessenger(Bot(BOT_TOKEN, session=session)))
    chats = [en.chat.id, ru.chat.id, gone.chat.id]

    async def states() -> dict[int, str]:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT p.telegram_user_id, n.state FROM bot_notices n"
                    " JOIN players p ON p.id = n.player_id"
                    " WHERE p.telegram_user_id = ANY(:chats) AND n.kind = 'deposit.credited'"
                ),
                {"chats": chats},
            )
            return dict(rows.all())

    try:
        await listener.step()  # the consumer group starts here: it reads what comes next
        for player in (en, ru, gone):
            player_id = await _player_id(engine, player)
            await credit(CreditDepositCommand(player_id, Money(127, XTR), unique_key("notify")))
        async with event_relay():
            for _ in range(200):
                await listener.step()
                if len(await states()) == 2:  # en's and gone's; ru turned deposits off
                    break
            else:
                raise AssertionError("the deposits' events did not reach the listener")
        for _ in range(50):  # until each is sent or ended; the 429 holds sends for 1 s
            await sender()
            if "due" not in (await states()).values():
                break
            await asyncio.sleep(0.2)
        assert await sender() == 0  # nothing sent twice

        def texts(chat: int) -> list[str]:
            return [c.text for c in session.of(SendMessage) if c.chat_id == chat]

        tried, sent = texts(en.chat.id)  # the 429, then once after its retry_after
        assert tried == sent == "💰 Your deposit of 127 ⭐ is credited. Balance: 127 ⭐."
        assert texts(ru.chat.id) == []
        assert len(texts(gone.chat.id)) == 1  # the 403: tried once, never again
        assert await states() == {en.chat.id: "sent", gone.chat.id: "unreachable"}
        logs["en"].append(f"BOT (after the deposit, by itself): {sent}")
        logs["ru"].append("(a deposit of 127 ⭐ is credited: the bot says nothing, as chosen)")
    finally:
        await redis.aclose()
        SHOTS.mkdir(parents=True, exist_ok=True)
        for language, lines in logs.items():
            path = SHOTS / f"notifications-{language}.txt"
            await asyncio.to_thread(path.write_text, "\n".join(lines) + "\n")
