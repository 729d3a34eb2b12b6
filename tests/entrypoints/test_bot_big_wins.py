"""The big-wins feed through the real bot, PostgreSQL and a mocked Bot API (issue 23): with a
channel configured, 🔔 Notifications offers "Show my big wins in the public channel", off, with
a line saying what a post shows; the English player turns it on, the Russian one on and off
again. Then settled bets' events (10x, 1000 ⭐) are read by the notice use case: three posts for
the English player, none for the Russian one; the sender, through the real messenger, meets the
channel's 429 (retry_after 1), a post sent, a 403 (the bot is not the channel's administrator)
and a 400: one post in the channel, naming no one; two ended `failed` at once with a warning
naming the channel; the player still reachable. Transcripts:
.croupier/test/transcripts/bot-big-wins-{en,ru}.txt (docs/transcripts/)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import SendMessage
from dishka import Provider, Scope, provide
from sqlalchemy import text

from application.notices import NotifyOfEvents, SendNotices, SendPace
from application.notices.big_wins import BigWinFeed
from application.ports import EventEnvelope
from domain.big_wins import BigWinRules
from entrypoints.bot.keyboards import Gate
from entrypoints.bot.notices import TelegramMessenger
from tests.entrypoints.bot_chat import buttons, chat  # noqa: F401 - fixture
from tests.entrypoints.conftest import bot_runtime
from tests.entrypoints.telegram_fakes import BOT_TOKEN, FakeTelegram, Player

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

CHANNEL = -1001234567890
# No cooldown here: three posts of one player reach the sender (the cooldown: on fakes).
FEED = BigWinFeed(str(CHANNEL), "en", BigWinRules(1000, 10, cooldown=timedelta(0)))


class _Feed(Provider):
    @provide(scope=Scope.APP, override=True)
    def feed(self) -> BigWinFeed:
        return FEED


@pytest.fixture(scope="module")
async def runtime(servers, tmp_path_factory):
    container, runtime = await bot_runtime(servers, tmp_path_factory.mktemp("bot-feed"), _Feed())
    yield runtime
    await container.close()


class ChannelTelegram(FakeTelegram):
    """Answers the channel's messages from a script (a 429, a 403, a 400, or None: sent)."""

    def __init__(self, *script: str | None) -> None:
        super().__init__()
        self.script = deque(script)

    async def make_request(self, bot: Bot, method: Any, timeout: int | None = None) -> Any:  # noqa: ASYNC109
        if isinstance(method, SendMessage) and method.chat_id == CHANNEL and self.script:
            answer = self.script.popleft()
            if answer is not None:
                self.calls.append(method)
            if answer == "429":
                raise TelegramRetryAfter(method, "Too Many Requests: retry after 1", retry_after=1)
            if answer == "403":
                raise TelegramForbiddenError(
                    method, "Forbidden: bot is not a member of the channel chat"
                )
            if answer == "400":
                raise TelegramBadRequest(
                    method, "Bad Request: need administrator rights in the channel chat"
                )
        return await super().make_request(bot, method, timeout)


def settled(player_id: int) -> EventEnvelope:
    """A `bet.settled` as the relay publishes it: 100 ⭐ on limbo at 10x, won."""
    bet = uuid.uuid4()
    return EventEnvelope(
        event_id=uuid.uuid4(),
        type="bet.settled",
        version=1,
        aggregate_type="bet",
        aggregate_id=str(bet),
        sequence=2,
        occurred_at=datetime.now(UTC),
        player_ids=[player_id],
        data={
            "version": 1,
            "bet_id": str(bet),
            "player_id": player_id,
            "game": "limbo",
            "params": {"target": "10"},
            "currency": "XTR",
            "stake": 100,
            "state": "won",
            "outcome": 1000,
            "multiplier": "10",
            "payout": 1000,
            "settled_at": datetime.now(UTC).isoformat(),
            "transaction_id": str(uuid.uuid4()),
        },
    )


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


async def test_a_player_consents_in_the_bot_and_their_big_win_reaches_the_channel_once(
    chat,  # noqa: F811
    engine,
    uow_factory,
    clock,
    caplog,
):
    en, en_id = await _joined(chat, engine, "en")
    ru, ru_id = await _joined(chat, engine, "ru")

    await en.say("/notifications")
    screen = en.shown()
    assert "never your name or username" in screen.text
    off = "🔕 Show my big wins in the public channel"
    assert off in buttons(screen)
    await en.tap(off, buttons(screen)[off])
    on = "✅ Show my big wins in the public channel"
    assert on in buttons(en.shown())
    assert "< toast: Show my big wins in the public channel: on" in en.lines

    await ru.say("/notifications")
    off_ru = "🔕 Показывать мои крупные выигрыши в публичном канале"
    await ru.tap(off_ru, buttons(ru.shown())[off_ru])
    on_ru = "✅ Показывать мои крупные выигрыши в публичном канале"
    await ru.tap(on_ru, buttons(ru.shown())[on_ru])  # changed their mind
    assert off_ru in buttons(ru.shown())
    assert ru.lines[-1 - len(ru.shown().reply_markup.inline_keyboard) - 1] == (
        "< toast: Показывать мои крупные выигрыши в публичном канале: выключено"
    )

    notify = NotifyOfEvents(uow_factory, clock, FEED)
    wins = [settled(en_id) for _ in range(3)]
    kept = [await notify(e) for e in [*wins, *wins, settled(ru_id)]]
    assert kept == [True, True, True, False, False, False, False]  # once each; ru: no consent

    session = ChannelTelegram("429", None, "403", "400")
    pace = SendPace(group_interval=0.05)  # the channel's 3 s: tests/unit/test_big_wins_on_fakes
    send = SendNotices(
        uow_factory, clock, TelegramMessenger(Bot(BOT_TOKEN, session=session)), pace, feed=FEED
    )

    async def states() -> list[str]:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT state FROM bot_notices WHERE kind = 'big_win.post'"
                    " AND player_id = ANY(:p) ORDER BY state"
                ),
                {"p": [en_id, ru_id]},
            )
            return list(rows.scalars())

    with caplog.at_level(logging.WARNING, logger="application.notices.send"):
        for _ in range(50):  # the 429 holds sends for 1 s
            await send()
            if "due" not in await states():
                break
            await asyncio.sleep(0.1)
    assert await states() == ["failed", "failed", "sent"]
    assert await send() == 0  # nothing again

    to_channel = [c for c in session.of(SendMessage) if c.chat_id == CHANNEL]
    assert len(to_channel) == 4  # the 429's, the sent one, the 403's, the 400's
    posted = to_channel[1].text
    assert posted.startswith(
        "🏆 Big win! A player won 1000 ⭐ on Limbo 🔐 with a stake of 100 ⭐: 10×.\n🧾 Bet "
    )
    user = en.player.user
    assert user.first_name not in posted
    assert str(user.id) not in posted
    warnings = [r.getMessage() for r in caplog.records if "big-wins feed" in r.getMessage()]
    assert len(warnings) == 2
    assert all(f"channel {CHANNEL} refused" in w for w in warnings)
    async with engine.connect() as conn:
        unreachable = await conn.execute(
            text("SELECT count(*) FROM bot_unreachable WHERE player_id = :p"), {"p": en_id}
        )
        assert unreachable.scalar_one() == 0  # the channel refused, not the player

    en.lines.append("")
    en.lines.append("(the player wins 1000 ⭐ at 10× on Limbo; the bot posts in the channel:)")
    en.lines += [f"< channel {CHANNEL}: {line}" for line in posted.split("\n")]
    ru.lines.append("")
    ru.lines.append("(выигрыш 1000 ⭐ при 10×: в канале ничего нет — согласие отозвано)")
    en.write("bot-big-wins-en.txt")
    ru.write("bot-big-wins-ru.txt")
