"""The player's latest wallet movements and bets, paged: in the player's language (games,
options, outcomes and movement kinds named by game_texts, never as stored codes), times in
UTC and saying so, and every page edited in place of the last (screens.show)."""

from __future__ import annotations

from aiogram import F
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from dishka.integrations.aiogram import FromDishka, inject

from application.history import ListHistory, RecentBets
from application.ports import HistoryEntry
from domain.bets import Bet
from domain.games.catalog import GAMES
from domain.money import Money
from domain.players import Player
from entrypoints.bot import keyboards
from entrypoints.bot.game_texts import game_name, ledger_kind, settled_line, when
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import BetsPage, HistoryPage, Menu
from entrypoints.bot.routing import Handlers
from entrypoints.bot.screens import show

handlers = Handlers("history")
PAGE_SIZE = 10


def _movement_line(t: Translator, entry: HistoryEntry) -> str:
    kind = ledger_kind(t, entry.kind)
    game = entry.metadata.get("game")
    if isinstance(game, str) and game in GAMES:  # a bet's movement names its game
        kind = f"{kind} · {game_name(t, game)}"
    amount = t.money(-entry.amount if entry.amount.amount < 0 else entry.amount)
    return t(
        "history.line",
        when=when(t, entry.created_at),
        kind=kind,
        amount=f"−{amount}" if entry.amount.amount < 0 else f"+{amount}",
        balance=Money(entry.balance_after, entry.amount.currency),
    )


async def _page(
    query: CallbackQuery,
    player: Player,
    t: Translator,
    history: ListHistory,
    page: int,
    cursor: str,
) -> None:
    found = await history(player.id, cursor=cursor or None, limit=PAGE_SIZE)
    if not found.entries:
        await show(query, t("history.empty"), keyboards.back(t))
        return
    lines = [t("history.title", page=page)]
    lines += [_movement_line(t, e) for e in found.entries]
    rows = []
    if found.next_cursor:
        older = HistoryPage(page=page + 1, cursor=found.next_cursor).pack()
        rows.append([InlineKeyboardButton(text=t("history.next"), callback_data=older)])
    rows.append(
        [InlineKeyboardButton(text=t("history.bets"), callback_data=BetsPage(page=1).pack())]
    )
    rows.append([InlineKeyboardButton(text=t("menu.back"),
                                      callback_data=Menu(action="main").pack())])  # fmt: skip
    await show(query, "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows))


@handlers.callback_query(Menu.filter(F.action == "history"))
@inject
async def first_page(
    query: CallbackQuery, player: Player, t: Translator, history: FromDishka[ListHistory]
) -> None:
    await query.answer()
    await _page(query, player, t, history, 1, "")


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
    # The cursor is opaque and checked by the use case; a forged one is refused there, and the
    # player is always the one who tapped.
    await _page(query, player, t, history, callback_data.page, callback_data.cursor)


def _bet_line(t: Translator, bet: Bet) -> str:
    # As the result said it ("10 ⭐ on Heads → 🪙 tails → lost, −10"), not the stored codes.
    return t(
        "history.bet_line",
        when=when(t, bet.placed_at),
        game=game_name(t, bet.game),
        line=settled_line(t, bet),
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
    if not found.bets:
        await show(query, t("history.no_bets"), keyboards.back(t))
        return
    lines = [t("history.bets_title", page=callback_data.page)]
    lines += [_bet_line(t, bet) for bet in found.bets]
    rows = []
    if found.has_more:
        older = BetsPage(page=callback_data.page + 1).pack()
        rows.append([InlineKeyboardButton(text=t("history.next"), callback_data=older)])
    rows.append([InlineKeyboardButton(text=t("menu.back"),
                                      callback_data=Menu(action="main").pack())])  # fmt: skip
    await show(query, "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows))
