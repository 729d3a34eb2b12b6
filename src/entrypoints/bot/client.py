"""The one place a `Bot` (aiogram's Bot API client) is made: every process that talks to
Telegram gets it here, so the Bot API server it calls (`CROUPIER_BOT_API_URL`: Telegram's own,
an operator's local `telegram-bot-api` server, or a test's fake) is chosen once.

Imported only when a token is configured: aiogram costs ~130 MB of memory (see runtime.py)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer


def make_bot(token: str, api_url: str | None = None) -> Bot:
    """A bot calling `api_url` (a base URL such as `http://127.0.0.1:8081`; the path
    `/bot<token>/<method>` is appended as Telegram's own server has it), or Telegram's own
    server when it is None. Texts are sent as plain text: no parse mode, so a player's name or
    a seed is never read as markup."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url)) if api_url else None
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=None))
