"""Crash results reach the chat by themselves: three players bet from the bot, through the
Dispatcher, on a round the real `CrashDriver` drives; the outbox relay publishes the round's
`crash.round_crashed`, the notice listener reads it from the Redis stream, and the sender
delivers each result through a mocked Bot API session that answers the English player's first
message with a 429 (retry_after 1) and the third player's with a 403 (blocked). The English
and Russian conversations are written to /work/shots/bot/crash-result-{en,ru}.txt."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from sqlalchemy import text

from adapters.postgres.crash import SqlLeaderLock
from adapters.postgres.crash_chain import commit_chain, set_salt
from adapters.redis_client import create_redis
from adapters.redis_event_stream import RedisEventStream
from application.crash import CrashDriver, SettleCrashedRound
from application.notices import CrashResultListener, ReadyCrashResults, SendNotices
from domain.crash import crash_point
from entrypoints.bot.keyboards import PickStake
from entrypoints.bot.notices import TelegramMessenger
from tests.crash_cleanup import finish_every_round
from tests.entrypoints.telegram_fakes import BOT_TOKEN, FakeTelegram
from tests.entrypoints.test_bot_crash import POLICY, SALT, _chain, _drive_one_round, _render

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

SHOTS = Path(os.environ.get("CROUPIER_SHOTS", "/work/shots")) / "bot"


class ScriptedTelegram(FakeTelegram):
    """Answers like Telegram, but with a 429 to a chat's first message in `busy` and a 403
    to every message to a chat in `blocked`."""

    def __init__(self, busy: set[int], blocked: set[int]) -> None:
        super().__init__()
        self.busy, self.blocked = busy, blocked

    async def make_request(self, bot: Bot, method: Any, timeout: int | None = None) -> Any:  # noqa: ASYNC109
        chat = getattr(method, "chat_id", None)
        if isinstance(method, SendMessage) and chat in self.blocked:
            self.calls.append(method)
            raise TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")
        if isinstance(method, SendMessage) and chat in self.busy:
            self.busy.discard(chat)
            self.calls.append(method)
            raise TelegramRetryAfter(method, "Too Many Requests: retry after 1", retry_after=1)
        return await super().make_request(bot, method, timeout)


async def test_crash_results_reach_the_chat_once_at_telegrams_pace(
    send,
    telegram,
    ready_player,
    engine,
    uow_factory,
    clock,
    ids,
    house,
    event_relay,
    servers,
):
    settle = SettleCrashedRound(uow_factory, clock, ids, house)
    await finish_every_round(uow_factory, settle)
    secret, first_hash, _ = _chain()
    async with engine.begin() as conn:
        committed = await commit_chain(conn, 2, secret=secret)
        await set_salt(conn, committed.id, SALT)
    driver = CrashDriver(uow_factory, clock, SqlLeaderLock(engine), settle, POLICY)
    en, ru, gone = await ready_player("en"), await ready_player("ru"), await ready_player("en")
    logs: dict[str, list[str]] = {"en": [], "ru": []}

    async def tap(player: Any, label: str, data: str, log: list[str] | None = None) -> list[Any]:
        before = len(telegram.calls)
        await send(player.tap(data))
        calls = telegram.calls[before:]
        if log is not None:
            log.append(f"PLAYER taps {label}")
            log.extend(_render(c) for c in calls if isinstance(c, SendMessage | EditMessageText))
            log.extend(
                f"ALERT: {c.text}" for c in calls if isinstance(c, AnswerCallbackQuery) and c.text
            )
        return calls

    async def bet(player: Any, choice: int, log: list[str] | None = None) -> list[Any]:
        await tap(player, "100 ⭐", PickStake(game="crash", stake=100).pack(), log)
        keyboard = telegram.of(SendMessage)[-1].reply_markup.inline_keyboard
        button = [b for row in keyboard for b in row][choice]
        return await tap(player, button.text, button.callback_data, log)

    redis = create_redis(servers.redis_url)
    events = RedisEventStream(redis, f"test-notices-{secrets.token_hex(4)}", "test")
    listener = CrashResultListener(events, ReadyCrashResults(uow_factory), block_ms=50)
    session = ScriptedTelegram(busy={en.chat.id}, blocked={gone.chat.id})
    sender = SendNotices(uow_factory, clock, TelegramMessenger(Bot(BOT_TOKEN, session=session)))
    try:
        await listener.step()  # the consumer group starts here: it reads what comes next
        await driver.step()  # round 1 takes bets
        placed = await bet(en, 4, logs["en"])  # by hand
        cash = next(c for c in placed if isinstance(c, SendMessage)).reply_markup
        await bet(ru, 3, logs["ru"])  # 10x: rides into the crash at 1.20x-1.35x
        await bet(gone, 1)  # 2x, and the player has blocked the bot since
        started = asyncio.Event()
        driving = asyncio.create_task(_drive_one_round(driver, started))
        await asyncio.wait_for(started.wait(), 10)
        await asyncio.sleep(0.5)
        await tap(en, "💰 Cash out", cash.inline_keyboard[0][0].callback_data, logs["en"])
        await asyncio.wait_for(driving, 15)
        chats = [en.chat.id, ru.chat.id, gone.chat.id]

        async def ours(state: str) -> int:
            async with engine.connect() as conn:
                return (
                    await conn.execute(
                        text(
                            "SELECT count(*) FROM bot_notices n JOIN players p"
                            " ON p.id = n.player_id WHERE n.state = :state"
                            " AND p.telegram_user_id = ANY(:chats)"
                        ),
                        {"state": state, "chats": chats},
                    )
                ).scalar_one()

        async with event_relay():  # (it also publishes what earlier tests' rounds raised)
            for _ in range(200):
                await listener.step()
                if await ours("due") == 3:
                    break
            else:
                raise AssertionError("no crash.round_crashed reached the listener")
        for _ in range(50):  # until each result is sent or ended
            await sender()
            if not await ours("due"):
                break
            await asyncio.sleep(0.2)
        assert await sender() == 0  # nothing sent twice

        def texts(chat: int) -> list[str]:
            return [c.text for c in session.of(SendMessage) if c.chat_id == chat]

        point = crash_point(first_hash, SALT)
        shown = f"{point // 100}.{point % 100:02d}"
        (en_try, en_sent) = texts(en.chat.id)  # the 429, then once after its retry_after
        assert en_try == en_sent
        head = en_sent.splitlines()[0]
        assert head.startswith(f"💥 Round 1 crashed at {shown}×: you cashed out at 1.")
        assert head.endswith(" ⭐")
        assert ", +" in head
        assert f"Round hash: {first_hash}" in en_sent
        assert f"--round-hash {first_hash} --salt {SALT}" in en_sent
        (ru_sent,) = texts(ru.chat.id)
        assert ru_sent.splitlines()[0] == (f"💥 Раунд 1 обвалился на {shown}×: вы проиграли 100 ⭐")
        assert texts(gone.chat.id) == [texts(gone.chat.id)[0]]  # tried once, never again
        async with engine.connect() as conn:
            unreachable = (
                await conn.execute(
                    text(
                        "SELECT u.reason FROM bot_unreachable u JOIN players p"
                        " ON p.id = u.player_id WHERE p.telegram_user_id = :t"
                    ),
                    {"t": gone.chat.id},
                )
            ).scalar_one()
            states = dict(
                (
                    await conn.execute(
                        text(
                            "SELECT p.telegram_user_id, n.state FROM bot_notices n"
                            " JOIN players p ON p.id = n.player_id"
                            " WHERE p.telegram_user_id = ANY(:chats)"
                        ),
                        {"chats": chats},
                    )
                ).all()
            )
        assert "blocked" in unreachable
        assert states == {en.chat.id: "sent", ru.chat.id: "sent", gone.chat.id: "unreachable"}
        await send(gone.message("/start"))  # they unblocked the bot and restarted it
        async with engine.connect() as conn:
            still = await conn.execute(
                text(
                    "SELECT 1 FROM bot_unreachable u JOIN players p ON p.id = u.player_id"
                    " WHERE p.telegram_user_id = :t"
                ),
                {"t": gone.chat.id},
            )
            assert still.first() is None
        logs["en"].append(f"BOT (after the round, by itself): {en_sent}")
        logs["ru"].append(f"BOT (after the round, by itself): {ru_sent}")
    finally:
        await finish_every_round(uow_factory, settle)
        await redis.aclose()
        SHOTS.mkdir(parents=True, exist_ok=True)
        for language, lines in logs.items():
            path = SHOTS / f"crash-result-{language}.txt"
            await asyncio.to_thread(path.write_text, "\n".join(lines) + "\n")
