"""🔔 Notifications (issue 23, docs/notifications.md): `/notifications` or the main menu's
button shows each topic of the messages the bot sends first, on or off; a tap turns one over.
A required topic (withdrawal results) shows a 🔒 and a tap on it only says why it stays on.
The big-wins feed's consent is offered only while the operator runs a feed, off until the
player turns it on, with a line saying what a post shows."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.notices import ChooseNotices, GetNoticeChoices
from application.notices.big_wins import BigWinFeed
from application.notices.choices import offered_topics
from domain.errors import InvalidRequest
from domain.notifications import REQUIRED_TOPICS, NoticeChoices, Topic, parse_topic
from domain.players import Player
from entrypoints.bot import keyboards
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Menu
from entrypoints.bot.routing import Handlers
from entrypoints.bot.screens import show

handlers = Handlers("notifications")


class NoticeTopic(CallbackData, prefix="nt"):
    topic: str
    on: bool  # what a tap turns it to


def topic_name(t: Translator, topic: Topic) -> str:
    return t(f"notifications.topics.{topic.value}")


def choices_text(t: Translator, feed: BigWinFeed) -> str:
    lines = [t("notifications.screen_title"), t("notifications.required_note")]
    if feed.on:
        lines.append(t("notifications.big_wins_note"))
    return "\n\n".join(lines)


def choices_keyboard(
    t: Translator, choices: NoticeChoices, feed: BigWinFeed
) -> InlineKeyboardMarkup:
    rows = []
    for topic in offered_topics(feed):
        on = choices.is_on(topic)
        if topic in REQUIRED_TOPICS:
            label = t("notifications.topic_required", topic=topic_name(t, topic))
        else:
            label = t(f"notifications.topic_{'on' if on else 'off'}", topic=topic_name(t, topic))
        data = NoticeTopic(topic=topic.value, on=not on).pack()
        rows.append([InlineKeyboardButton(text=label, callback_data=data)])
    return InlineKeyboardMarkup(inline_keyboard=[*rows, *keyboards.back(t).inline_keyboard])


@handlers.message(Command("notifications"))
@inject
async def notifications_command(
    message: Message,
    player: Player,
    t: Translator,
    choices: FromDishka[GetNoticeChoices],
    feed: FromDishka[BigWinFeed],
) -> None:
    found = await choices(player.id)
    await message.answer(choices_text(t, feed), reply_markup=choices_keyboard(t, found, feed))


@handlers.callback_query(Menu.filter(F.action == "notifications"))
@inject
async def notifications_button(
    query: CallbackQuery,
    player: Player,
    t: Translator,
    choices: FromDishka[GetNoticeChoices],
    feed: FromDishka[BigWinFeed],
) -> None:
    await query.answer()
    await show(query, choices_text(t, feed), choices_keyboard(t, await choices(player.id), feed))


@handlers.callback_query(NoticeTopic.filter())
@inject
async def turn_topic(
    query: CallbackQuery,
    callback_data: NoticeTopic,
    player: Player,
    t: Translator,
    choose: FromDishka[ChooseNotices],
    feed: FromDishka[BigWinFeed],
) -> None:
    try:
        topic = parse_topic(callback_data.topic)
        chosen = await choose(player.id, topic, callback_data.on)
    except InvalidRequest:  # a required topic, no feed any more, or an older bot's button
        said = (
            "big_wins_unavailable" if callback_data.topic == Topic.BIG_WINS else "required_refused"
        )
        await query.answer(t(f"notifications.{said}"), show_alert=True)
        return
    said = "turned_on" if chosen.is_on(topic) else "turned_off"
    await query.answer(t(f"notifications.{said}", topic=topic_name(t, topic)))
    await show(query, choices_text(t, feed), choices_keyboard(t, chosen, feed))
