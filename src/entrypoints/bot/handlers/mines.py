"""Mines in the chat: pick a stake and a mine count, then press tiles on an inline-keyboard
field and cash out. The field is one message, edited after each step. Before the first tile the
field offers the stake back (`VoidMines`): the way out of a game whose player may no longer
reveal (a time-out, self-exclusion or block that started after the stake was taken), and a
change of mind otherwise.

Callback data stays well under Telegram's 64 bytes: a game is named by its id's 32 hex
digits, a tile by its number. The game's id derives from the tap that opened it, so a double
tap opens one game; a tile pressed twice (or pressed again after a spam of taps) changes
nothing the second time and the message is left as it is."""

from __future__ import annotations

import secrets
import uuid

from aiogram import F
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.mines import (
    CashOutMines,
    CashOutMinesCommand,
    GetMines,
    MinesView,
    OpenMines,
    OpenMinesCommand,
    RevealTile,
    RevealTileCommand,
    VoidMines,
    VoidMinesCommand,
)
from domain.errors import IllegalTransition
from domain.games.base import format_multiplier
from domain.games.mines import SIDE, TILES
from domain.mines import MinesState, OverPayoutLimit
from domain.money import XTR, Money
from domain.players import Player
from domain.responsible import ResponsibleGamblingRefusal
from domain.standing import StandingRefusal
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import PickStake
from entrypoints.bot.refusals import refusal_text
from entrypoints.bot.routing import Handlers

handlers = Handlers("mines")
MINE_COUNTS = (1, 3, 5, 10, 24)
# Game ids derive from the tap: the same button of the same keyboard is the same game.
GAME_NAMESPACE = uuid.UUID("0b5d7f5e-8f0e-4a8e-9d3c-2f6a41c9b7e2")


class MinesOpen(CallbackData, prefix="mo"):
    stake: int
    mines: int
    press: str  # one id per rendered keyboard: a double tap sends the same id twice


class MinesTile(CallbackData, prefix="mt"):
    game: str  # the game's id, 32 hex digits
    tile: int


class MinesCash(CallbackData, prefix="mc"):
    game: str


class MinesVoid(CallbackData, prefix="mv"):
    game: str
    on_field: bool = True  # the field's own button (its message shows the end), or a refusal's


def mine_counts(stake: int) -> InlineKeyboardMarkup:
    press = secrets.token_hex(4)
    buttons = [
        InlineKeyboardButton(
            text=f"💣 {m}", callback_data=MinesOpen(stake=stake, mines=m, press=press).pack()
        )
        for m in MINE_COUNTS
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


def field(view: MinesView, t: Translator) -> InlineKeyboardMarkup:
    """The 5x5 field: revealed tiles show a gem, and once the game is over every mine shows
    (the one pressed as an explosion); a tile's button reveals it while the game is open (at
    the payout limit a press answers that cashing out is the move)."""
    game = view.id.hex
    mines = set(view.mine_positions or ())
    hit = view.revealed[-1] if view.state is MinesState.BUSTED else None
    rows = []
    for row in range(SIDE):
        buttons = []
        for tile in range(row * SIDE, (row + 1) * SIDE):
            if tile == hit:
                label = "💥"
            elif tile in view.revealed:
                label = "💎"
            elif tile in mines:
                label = "💣"
            else:
                label = "⬜"
            data = MinesTile(game=game, tile=tile).pack()
            buttons.append(InlineKeyboardButton(text=label, callback_data=data))
        rows.append(buttons)
    if view.state is MinesState.OPEN and view.revealed:
        text = t("mines.cash_out", amount=Money(_cash_out_amount(view), view.stake.currency))
        rows.append([InlineKeyboardButton(text=text, callback_data=MinesCash(game=game).pack())])
    elif view.voidable:
        rows.append([take_back_button(view, t)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def take_back_button(
    view: MinesView, t: Translator, *, on_field: bool = True
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=t("mines_void.button", stake=view.stake),
        callback_data=MinesVoid(game=view.id.hex, on_field=on_field).pack(),
    )


def _cash_out_amount(view: MinesView) -> int:
    return (view.stake.amount * view.multiplier).__floor__()


def caption(view: MinesView, t: Translator) -> str:
    head = t("mines.title", mines=view.mines, stake=view.stake)
    if view.at_limit:
        line = t(
            "mines.at_limit",
            multiplier=format_multiplier(view.multiplier),
            limit=view.max_payout,
        )
    elif view.state is MinesState.OPEN and not view.revealed:
        # no cash-out before a safe tile (the domain refuses it): say what the first one pays
        after = view.next_multiplier
        line = t("mines.first", next=format_multiplier(after) if after is not None else "-")
    elif view.state is MinesState.OPEN:
        after = view.next_multiplier
        line = t(
            "mines.open",
            multiplier=format_multiplier(view.multiplier),
            next=format_multiplier(after) if after is not None else "-",
        )
    elif view.state is MinesState.BUSTED:
        line = t("mines.busted", balance=view.balance)
    elif view.voided:
        line = t("mines_void.voided", stake=view.stake, balance=view.balance)
    else:
        line = t(
            "mines.cashed_out",
            multiplier=format_multiplier(view.multiplier),
            payout=Money(view.payout or 0, view.stake.currency),
            balance=view.balance,
        )
    return f"{head}\n{line}"


async def _tapped(query: CallbackQuery, game: str) -> tuple[uuid.UUID, Message] | None:
    """The game a field's button names and the message it sits on; None (the tap answered)
    for a mangled id or a message Telegram no longer shows."""
    message = query.message
    try:
        game_id = uuid.UUID(hex=game)
    except ValueError:
        game_id = None
    if game_id is None or not isinstance(message, Message):
        await query.answer()
        return None
    return game_id, message


@handlers.callback_query(PickStake.filter((F.game == "mines") & (F.stake > 0)))
async def pick_mine_count(query: CallbackQuery, callback_data: PickStake, t: Translator) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            t("mines.count", stake=Money(callback_data.stake, XTR)),
            reply_markup=mine_counts(callback_data.stake),
        )


@handlers.callback_query(MinesOpen.filter((F.stake > 0) & F.mines.in_(MINE_COUNTS)))
@inject
async def open_mines(
    query: CallbackQuery,
    callback_data: MinesOpen,
    player: Player,
    t: Translator,
    open_game: FromDishka[OpenMines],
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer()
        return
    game_id = uuid.uuid5(
        GAME_NAMESPACE,
        f"{query.from_user.id}:{callback_data.press}:{callback_data.stake}:{callback_data.mines}",
    )
    # A refusal (standing, limits, a game already open) goes to the error handler, which
    # answers the tap in the player's language.
    view = await open_game(
        OpenMinesCommand(player.id, game_id, Money(callback_data.stake, XTR), callback_data.mines)
    )
    await query.answer()
    if view.replayed:
        return  # a double tap: the first tap already showed the field
    await message.answer(caption(view, t), reply_markup=field(view, t))


@handlers.callback_query(MinesTile.filter(F.tile.in_(range(TILES))))
@inject
async def reveal_tile(
    query: CallbackQuery,
    callback_data: MinesTile,
    player: Player,
    t: Translator,
    reveal: FromDishka[RevealTile],
    get: FromDishka[GetMines],
) -> None:
    tapped = await _tapped(query, callback_data.game)
    if tapped is None:
        return
    game_id, message = tapped
    try:
        view = await reveal(RevealTileCommand(player.id, game_id, callback_data.tile))
    except IllegalTransition:  # a tile of a field that is over: the game already ended
        await query.answer(t("mines.over"), show_alert=True)
        return
    except OverPayoutLimit as refused:  # the next safe tile would pay over the game's limit
        await query.answer(t("mines.over_limit", limit=refused.max_payout), show_alert=True)
        return
    except (StandingRefusal, ResponsibleGamblingRefusal) as refused:
        # Blocked, timed out or self-excluded since the game opened: no new tile, but the
        # field keeps its Cash out button, or before any tile its stake-back button, both
        # always allowed (domain.standing). A message, not an alert: the reason can be
        # longer than an alert's 200 characters.
        await query.answer()
        await _say_refused(
            message, t, refusal_text(t, refused), await get(player.id, game_id=game_id)
        )
        return
    await query.answer()
    if not view.replayed:  # a tile pressed again changes nothing: the field stays as shown
        await message.edit_text(caption(view, t), reply_markup=field(view, t))


async def _say_refused(message: Message, t: Translator, reason: str, view: MinesView) -> None:
    """Why no tile may be revealed, and what the player can still do with this game: cash out
    the tiles revealed, or, before any, take the stake back (a button of its own, so the way
    out is under the player's thumb whichever message they look at)."""
    if not view.voidable:
        await message.answer(t("mines.reveal_refused", reason=reason))
        return
    markup = InlineKeyboardMarkup(inline_keyboard=[[take_back_button(view, t, on_field=False)]])
    await message.answer(
        t("mines_void.reveal_refused", reason=reason, stake=view.stake), reply_markup=markup
    )


@handlers.callback_query(MinesCash.filter())
@inject
async def cash_out_mines(
    query: CallbackQuery,
    callback_data: MinesCash,
    player: Player,
    t: Translator,
    cash_out: FromDishka[CashOutMines],
) -> None:
    tapped = await _tapped(query, callback_data.game)
    if tapped is None:
        return
    game_id, message = tapped
    try:
        view = await cash_out(CashOutMinesCommand(player.id, game_id))
    except IllegalTransition:  # it hit a mine, or no tile is revealed yet
        await query.answer(t("mines.cannot_cash_out"), show_alert=True)
        return
    await query.answer()
    if not view.replayed:
        await message.edit_text(caption(view, t), reply_markup=field(view, t))


@handlers.callback_query(MinesVoid.filter())
@inject
async def void_mines(
    query: CallbackQuery,
    callback_data: MinesVoid,
    player: Player,
    t: Translator,
    void: FromDishka[VoidMines],
) -> None:
    """Take the stake back before the first tile, whatever the player's standing. Tapped on
    the field, the field shows the game's end; tapped under a refusal, the end is a message
    of its own (the field stays as it was, its buttons answering that the game is over)."""
    tapped = await _tapped(query, callback_data.game)
    if tapped is None:
        return
    game_id, message = tapped
    try:
        view = await void(VoidMinesCommand(player.id, game_id))
    except IllegalTransition:  # a tile was revealed since, or the game is over
        await query.answer(t("mines_void.too_late"), show_alert=True)
        return
    if view.replayed:  # a second tap, or the other button: the stake came back once
        await query.answer(t("mines_void.already", stake=view.stake))
        return
    await query.answer()
    text = caption(view, t)
    markup = field(view, t)
    if callback_data.on_field:
        await message.edit_text(text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)
