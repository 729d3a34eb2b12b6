"""The player's latest wallet movements and bets, paged."""

from __future__ import annotations

from aiogram import F
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.history import ListHistory, RecentBets
from domain.bets import Bet
from domain.games.catalog import game_by_code
from domain.money import Money
from domain.players import Player
from entrypoints.bot import keyboards
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import BetsPage, HistoryPage, Menu
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
    rows.append(
        [InlineKeyboardButton(text=t("history.bets"), callback_data=BetsPage(page=1).pack())]
    )
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


def _bet_line(t: Translator, bet: Bet) -> str:
    state = bet.state.value
    if bet.payout is not None and 0 < bet.payout <= bet.stake.amount:
        state = "paid_back"  # won no more than the stake (plinko's middle): not a win to cheer
    result = t(f"history.bet_state.{state}")
    if bet.payout:
        result += f" +{t.money(Money(bet.payout, bet.stake.currency))}"
    return t(
        "history.bet_line",
        when=bet.placed_at.strftime("%d.%m %H:%M"),
        game=bet.game,
        stake=bet.stake,
        # As the game reads it ("52.87", "tails", a plinko drop's slot and path), not the
        # stored integer.
        outcome=""
        if bet.outcome is None
        else game_by_code(bet.game).describe_bet(bet.selection, bet.outcome),
        result=result,
    )


@handlers.callback_query(BetsPage.filter(F.page >= 1))
@inject
async def bets_page(
    query: CallbackQuery,
    callback_data: BetsPage,
    player: Player,
    t: Translator,
    recent: FromDishka[RecentBets],
) -> None:
    # Asked before answering the tap: a refusal is then the tap's (only) answer.
    found = await recent(player.id, page=callback_data.page, size=PAGE_SIZE)
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if not found.bets:
        await query.message.answer(t("history.no_bets"), reply_markup=keyboards.back(t))
        return
    lines = [t("history.bets_title", page=callback_data.page)]
    lines += [_bet_line(t, bet) for bet in found.bets]
    rows = []
    if found.has_more:
        older = BetsPage(page=callback_data.page + 1).pack()
        rows.append([InlineKeyboardButton(text=t("history.next"), callback_data=older)])
    rows.append([InlineKeyboardButton(text=t("menu.back"),
                                      callback_data=Menu(action="main").pack())])  # fmt: skip
    await query.message.answer(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )
