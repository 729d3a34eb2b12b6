"""The command menu Telegram shows next to the message field ("/" and the menu button), in
each language the bot speaks: registered at every start of the process that takes the bot's
updates (dispatcher start-up: polling starts it; webhook mode once the webhook is set).

Telegram being unreachable or refusing one language is logged, not fatal: the previous menu
stays in place and the bot works without it."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeDefault

from entrypoints.bot.i18n import DEFAULT_LANGUAGE, Translator, languages

log = logging.getLogger(__name__)

# Each one answered by a handler (tests/entrypoints/test_bot_nav.py checks it); /clientseed
# takes an argument and is offered on the fairness screen instead. The promotions' commands
# (/bonus, /promo, /vip, /referral) are not listed: the menu is the same for every player, and
# a player on a break hears nothing of promotions (docs/bonuses.md).
COMMANDS = (
    "start",
    "help",
    "withdraw",
    "fairness",
    "rules",
    "limits",
    "notifications",
    "paysupport",
    "terms",
    "privacy",
)


def command_menu(t: Translator) -> list[BotCommand]:
    return [BotCommand(command=c, description=t(f"nav.commands.{c}")) for c in COMMANDS]


async def register_commands(bot: Bot) -> None:
    """The menu for each language (a Telegram user whose language is none of them gets the
    default one, in English)."""
    targets: list[str | None] = [None, *languages()]
    for language in targets:
        try:
            await bot.set_my_commands(
                command_menu(Translator(language or DEFAULT_LANGUAGE)),
                scope=BotCommandScopeDefault(),
                language_code=language,
            )
        except asyncio.CancelledError:
            raise
        except Exception as error:  # Telegram unreachable, refused, timed out: not fatal
            log.warning("registering the %s command menu failed: %s", language or "default", error)
