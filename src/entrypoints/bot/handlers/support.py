"""What Telegram's bot terms require every bot (and every paying bot) to answer, and dice
thrown by players, which never count as outcomes."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.types import Message

from entrypoints.bot.i18n import Translator
from entrypoints.bot.routing import Handlers

handlers = Handlers("support")


@handlers.message(Command("paysupport"))
async def paysupport(message: Message, t: Translator) -> None:
    await message.answer(t("support.paysupport"))


@handlers.message(Command("privacy"))
async def privacy(message: Message, t: Translator) -> None:
    await message.answer(t("support.privacy"))


@handlers.message(Command("terms"))
async def terms(message: Message, t: Translator) -> None:
    await message.answer(t("support.terms"))


@handlers.message(F.dice)
async def players_dice(message: Message, t: Translator) -> None:
    # Sent or forwarded by a user: in a group one could throw and delete until a value suits
    # them. Only the bot's own dice, sent for a placed bet, settle anything.
    await message.reply(t("games.not_yours"))
