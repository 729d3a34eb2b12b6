"""/start, the 18+/terms gate, language choice and the main menu: the hub.

Navigation edits the hub in place (`screens.show`): the main menu, help, language and balance
screens replace one another in one message, each with the balance in sight. A command (/start,
/help) sends the hub anew, below the player's message; it becomes the current keyboard
(entrypoints/bot/freshness.py)."""

from __future__ import annotations

from datetime import datetime

from aiogram import F
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.balances import GetBalances
from application.bonuses import PlayerBonuses
from application.notices import PlayerWroteAgain
from application.onboarding import AcceptTerms, SetLanguage
from application.ports import Clock
from application.responsible.standing import CheckStanding
from domain.money import XTR, Money
from domain.players import Player
from domain.standing import Operation, PlayerBlocked, PlayerStanding, TermsNotAccepted
from entrypoints.bot import keyboards
from entrypoints.bot.handlers.promo import with_promo
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Gate, Language, Menu
from entrypoints.bot.routing import Handlers
from entrypoints.bot.screens import show

handlers = Handlers("start")


def format_balances(balances: tuple[Money, ...], t: Translator) -> str:
    shown = [t.money(b) for b in balances if b.amount]
    return ", ".join(shown) if shown else t.money(Money(0, XTR))


def menu_text(t: Translator, balances: tuple[Money, ...]) -> str:
    return t("menu.title", balance=format_balances(balances, t))


def with_balance(t: Translator, balances: tuple[Money, ...], text: str) -> str:
    """A hub screen: the balance line, then the screen."""
    return t("nav.balance_line", balance=format_balances(balances, t)) + "\n\n" + text


async def home(
    message: Message,
    standing: PlayerStanding,
    t: Translator,
    balances: tuple[Money, ...],
    now: datetime,
    *,
    bonus: bool = False,
) -> None:
    """The screen a player starts from, sent as a message of its own: the main menu, or the
    18+ and terms gate until they accept, or the notice that the account is blocked. Which one
    is the standing policy's answer to "may this player bet?", not a rule of this door's own."""
    refusal = standing.refusal(Operation.BET, now)
    if isinstance(refusal, PlayerBlocked):
        await message.answer(t("start.blocked"))
    elif isinstance(refusal, TermsNotAccepted):
        await message.answer(t("start.gate"), reply_markup=keyboards.gate(t))
    else:
        menu = keyboards.main_menu(t, bonus=bonus)
        await message.answer(menu_text(t, balances), reply_markup=menu)


@handlers.message(CommandStart())
@inject
async def start(
    message: Message,
    player: Player,
    standing: PlayerStanding,
    t: Translator,
    balances: FromDishka[GetBalances],
    clock: FromDishka[Clock],
    wrote_again: FromDishka[PlayerWroteAgain],
    bonuses: FromDishka[PlayerBonuses],
) -> None:
    # A player who had blocked the bot and restarts it gets its messages again.
    await wrote_again(player.id)
    now = clock.now()
    if not isinstance(standing.refusal(Operation.BET, now), PlayerBlocked):
        name = message.from_user.first_name if message.from_user else ""
        await message.answer(t("start.welcome", name=name))
    bonus = await bonuses.any_active(player.id)
    await home(message, standing, t, await balances(player.id), now, bonus=bonus)


@handlers.callback_query(Gate.filter(F.accept))
@inject
async def accept_gate(
    query: CallbackQuery,
    player: Player,
    t: Translator,
    accept: FromDishka[AcceptTerms],
    balances: FromDishka[GetBalances],
) -> None:
    await accept(player.id)
    await query.answer(t("start.accepted"))
    # The gate becomes the hub.
    found = await balances(player.id)
    await show(query, menu_text(t, found), keyboards.main_menu(t))


@handlers.callback_query(Menu.filter(F.action == "main"))
@inject
async def main_menu(
    query: CallbackQuery,
    player: Player,
    t: Translator,
    state: FSMContext,
    balances: FromDishka[GetBalances],
    bonuses: FromDishka[PlayerBonuses],
) -> None:
    await query.answer()
    # Back to the menu ends whatever was being typed (a stake, a withdrawal's destination): a
    # number typed later is not read as one.
    await state.clear()
    found = await balances(player.id)
    menu = keyboards.main_menu(t, bonus=await bonuses.any_active(player.id))
    await show(query, menu_text(t, found), menu)


@handlers.callback_query(Menu.filter(F.action == "language"))
@inject
async def choose_language(
    query: CallbackQuery, player: Player, t: Translator, balances: FromDishka[GetBalances]
) -> None:
    await query.answer()
    text = with_balance(t, await balances(player.id), t("start.choose_language"))
    choice = keyboards.language_choice()
    back = keyboards.back(t).inline_keyboard
    await show(query, text, InlineKeyboardMarkup(inline_keyboard=[*choice.inline_keyboard, *back]))


@handlers.callback_query(Language.filter())
@inject
async def set_language(
    query: CallbackQuery,
    callback_data: Language,
    player: Player,
    set_language: FromDishka[SetLanguage],
    balances: FromDishka[GetBalances],
) -> None:
    await set_language(player.id, callback_data.code)
    t = Translator(callback_data.code)
    await query.answer(t("start.language_set"))
    text = t("start.language_set") + "\n\n" + menu_text(t, await balances(player.id))
    await show(query, text, keyboards.main_menu(t))


@handlers.message(Command("help"))
@inject
async def help_command(
    message: Message, player: Player, t: Translator, balances: FromDishka[GetBalances]
) -> None:
    text = with_balance(t, await balances(player.id), t("help.text"))
    await message.answer(text, reply_markup=keyboards.back(t))


@handlers.callback_query(Menu.filter(F.action == "help"))
@inject
async def help_button(
    query: CallbackQuery, player: Player, t: Translator, balances: FromDishka[GetBalances]
) -> None:
    await query.answer()
    text = with_balance(t, await balances(player.id), t("help.text"))
    await show(query, text, keyboards.back(t))


@handlers.callback_query(Menu.filter(F.action == "balance"))
@inject
async def balance_button(
    query: CallbackQuery,
    player: Player,
    t: Translator,
    balances: FromDishka[GetBalances],
    check: FromDishka[CheckStanding],
) -> None:
    await query.answer()
    found = await balances(player.id)
    text = (
        t("balance.show", balances=format_balances(found, t))
        if any(b.amount for b in found)
        else t("balance.empty")
    )
    markup = keyboards.back(t)
    if await check(player.id, Operation.PROMOTION) is None:
        # The promo code button, only for a player the standing allows promotions.
        markup = with_promo(t, markup)
    await show(query, text, markup)
