"""What no other handler takes: nothing goes unanswered.

`first` runs before every other router: a tap on a keyboard that is no longer the chat's
current one (entrypoints/bot/freshness.py) gets a toast and the current menu, and reaches no
other handler; the old keyboard is taken off its message. `last` runs after all of them: a
tap whose data no handler matches (an old format, garbage) gets a toast and the menu; anything
a player writes in a private chat that no handler takes (text, an unknown command, a sticker,
a photo, a voice message...) gets "I didn't get that" and the menu. In a group the bot says
nothing: the message was likely not for it."""

from __future__ import annotations

import logging

from aiogram import F
from aiogram.enums import ChatType, ContentType
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.balances import GetBalances
from application.bonuses import PlayerBonuses
from application.ports import Clock
from domain.players import Player
from domain.standing import PlayerStanding
from entrypoints.bot.freshness import OutOfDate, only_navigates
from entrypoints.bot.handlers.start import home
from entrypoints.bot.i18n import Translator
from entrypoints.bot.routing import Handlers

log = logging.getLogger(__name__)
first = Handlers("freshness")  # its own router: the first of all
last = Handlers("fallback")

# Service messages (a payment, a pinned message, write access granted) are not the player
# talking to the bot: only these are answered.
WRITTEN = frozenset(
    {ContentType.TEXT, ContentType.STICKER, ContentType.PHOTO, ContentType.VOICE,
     ContentType.VIDEO, ContentType.VIDEO_NOTE, ContentType.AUDIO, ContentType.DOCUMENT,
     ContentType.ANIMATION, ContentType.LOCATION, ContentType.VENUE, ContentType.CONTACT,
     ContentType.POLL, ContentType.DICE, ContentType.STORY, ContentType.GAME}
)  # fmt: skip


@first.callback_query(OutOfDate())
@last.callback_query()
@inject
async def menu_instead(
    query: CallbackQuery,
    player: Player,
    standing: PlayerStanding,
    t: Translator,
    balances: FromDishka[GetBalances],
    clock: FromDishka[Clock],
    bonuses: FromDishka[PlayerBonuses],
    stale: bool = False,  # OutOfDate: the keyboard is an old one
) -> None:
    """A toast saying why the tap did nothing, then the menu: sent anew rather than edited
    over the tapped message, which may be a result to keep."""
    await query.answer(t("nav.out_of_date" if stale else "nav.unknown_button"))
    message = query.message
    if not isinstance(message, Message):
        return
    if stale and only_navigates(message.reply_markup):
        try:
            await message.edit_reply_markup(reply_markup=None)
        except TelegramBadRequest as error:  # too old to edit, or already without it
            log.info("old keyboard left in place (%s)", error.message)
    bonus = await bonuses.any_active(player.id)
    await home(message, standing, t, await balances(player.id), clock.now(), bonus=bonus)


@last.message(F.chat.type == ChatType.PRIVATE, F.content_type.in_(WRITTEN))
@inject
async def not_understood(
    message: Message,
    player: Player,
    standing: PlayerStanding,
    t: Translator,
    balances: FromDishka[GetBalances],
    clock: FromDishka[Clock],
    bonuses: FromDishka[PlayerBonuses],
) -> None:
    await message.answer(t("nav.not_understood"))
    bonus = await bonuses.any_active(player.id)
    await home(message, standing, t, await balances(player.id), clock.now(), bonus=bonus)
