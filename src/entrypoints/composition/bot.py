"""The Telegram bot: its options and its runtime (the aiogram `Bot` and dispatcher, or none
when no token is configured)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import AsyncContainer, Provider, Scope, provide
from redis.asyncio import Redis

from entrypoints.bot.runtime import TelegramRuntime, bot_id_of
from entrypoints.bot.settings import BotOptions
from entrypoints.settings import Settings


class BotProvider(Provider):
    """One bot per process, closed with the container."""

    scope = Scope.APP

    @provide
    def bot_options(self, settings: Settings) -> BotOptions:
        return BotOptions(dice_delay=settings.bot_dice_delay_ms / 1000)

    @provide
    async def telegram(
        self, settings: Settings, container: AsyncContainer, redis: Redis
    ) -> AsyncIterator[TelegramRuntime]:
        token = settings.bot_token
        if token is None:
            yield TelegramRuntime(None, None)
            return
        # Imported with a token only: aiogram costs ~130 MB of memory (entrypoints.bot.runtime).
        from entrypoints.bot.app import build_dispatcher
        from entrypoints.bot.client import make_bot

        bot = make_bot(token, settings.bot_api_url)
        dispatcher = build_dispatcher(container, redis, bot_id_of(token))
        try:
            yield TelegramRuntime(bot, dispatcher, settings.bot_webhook_secret)
        finally:
            await bot.session.close()
