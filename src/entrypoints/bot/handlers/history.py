"""The player's latest wallet movements, paged."""

from __future__ import annotations

from aiogram import F
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.history import ListHistory
from domain.players import Player
from entrypoints.bot import keyboards
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import HistoryPage, Menu
from entrypoints.bot.routing import Handlers

handlers = Handlers("history")
PAGE_SIZE = 10


async def _page(
    message: Message, player: Player, t: Translator, history: ListHistory, page: int, cursor: str
) -> None:
    found = await history(player.id, cursor=cursor or None, limit=PAGE_SIZE)
    if not found.entries:
        await message.answer(t("history.empty"), reply_markup=keyboards.back(t))
        return
    lines = [t("history.title", page=page)]
    lines += [
        t(
            "history.line",
            when=e.created_at.strftime("%d.%m %H:%M"),
            kind=e.kind.value,
            amount=e.amount,
            balance=e.balance_after,
        )
        for e in found.entries
    ]
    rows = []
    if found.next_cursor:
        older = HistoryPage(page=page + 1, cursor=found.next_cursor).pack()
        rows.append([InlineKeyboardButton(text=t("history.next"), callback_data=older)])
    rows.append([InlineKeyboardButton(text=t("menu.back"),
                                      callback_data=Menu(action="main").pack())])  # fmt: skip
    await message.answer("\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


@handlers.callback_query(Menu.filter(F.action == "history"))
@inject
async def first_page(
    query: CallbackQuery, player: Player, t: Translator, history: FromDishka[ListHistory]
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _page(query.message, player, t, history, 1, "")


@handlers.callback_query(HistoryPage.filter())
@inject
async def next_page(
    query: CallbackQuery,
    callback_data: HistoryPage,
    player: Player,
    t: Translator,
    history: FromDishka[ListHistory],
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        # The cursor is opaque and checked by the use case; a forged one is refused there,
        # and the player is always the one who tapped.
        await _page(query.message, player, t, history, callback_data.page, callback_data.cursor)
