"""/start, the 18+/terms gate, language choice and the main menu."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.balances import GetBalances
from application.notices import PlayerWroteAgain
from application.onboarding import AcceptTerms, SetLanguage
from application.ports import Clock
from domain.money import XTR, Money
from domain.players import Player
from domain.standing import Operation, PlayerBlocked, PlayerStanding, TermsNotAccepted
from entrypoints.bot import keyboards
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Gate, Language, Menu
from entrypoints.bot.routing import Handlers

handlers = Handlers("start")


def format_balances(balances: tuple[Money, ...], t: Translator) -> str:
    shown = [t.money(b) for b in balances if b.amount]
    return ", ".join(shown) if shown else t.money(Money(0, XTR))


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
) -> None:
    # A player who had blocked the bot and restarts it gets its messages again.
    await wrote_again(player.id)
    # Which screen to show is the standing policy's answer to "may this player bet?", not a
    # rule of this door's own: blocked, the 18+ and terms gate, or the menu.
    refusal = standing.refusal(Operation.BET, clock.now())
    if isinstance(refusal, PlayerBlocked):
        await message.answer(t("start.blocked"))
        return
    name = message.from_user.first_name if message.from_user else ""
    await message.answer(t("start.welcome", name=name))
    if isinstance(refusal, TermsNotAccepted):
        await message.answer(t("start.gate"), reply_markup=keyboards.gate(t))
        return
    await show_menu(message, t, await balances(player.id))


async def show_menu(message: Message, t: Translator, balances: tuple[Money, ...]) -> None:
    await message.answer(
        t("menu.title", balance=format_balances(balances, t)), reply_markup=keyboards.main_menu(t)
    )


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
    if isinstance(query.message, Message):
        await show_menu(query.message, t, await balances(player.id))


@handlers.callback_query(Menu.filter(F.action == "main"))
@inject
async def main_menu(
    query: CallbackQuery, player: Player, t: Translator, balances: FromDishka[GetBalances]
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await show_menu(query.message, t, await balances(player.id))


@handlers.callback_query(Menu.filter(F.action == "language"))
async def choose_language(query: CallbackQuery, t: Translator) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            t("start.choose_language"), reply_markup=keyboards.language_choice()
        )


@handlers.callback_query(Language.filter())
@inject
async def set_language(
    query: CallbackQuery,
    callback_data: Language,
    player: Player,
    set_language: FromDishka[SetLanguage],
) -> None:
    await set_language(player.id, callback_data.code)
    t = Translator(callback_data.code)
    await query.answer(t("start.language_set"))
    if isinstance(query.message, Message):
        await query.message.answer(t("start.language_set"), reply_markup=keyboards.main_menu(t))


@handlers.message(Command("help"))
async def help_command(message: Message, t: Translator) -> None:
    await message.answer(t("help.text"))


@handlers.callback_query(Menu.filter(F.action == "help"))
async def help_button(query: CallbackQuery, t: Translator) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(t("help.text"), reply_markup=keyboards.back(t))


@handlers.callback_query(Menu.filter(F.action == "balance"))
@inject
async def balance_button(
    query: CallbackQuery, player: Player, t: Translator, balances: FromDishka[GetBalances]
) -> None:
    await query.answer()
    found = await balances(player.id)
    text = (
        t("balance.show", balances=format_balances(found, t))
        if any(b.amount for b in found)
        else t("balance.empty")
    )
    if isinstance(query.message, Message):
        await query.message.answer(text, reply_markup=keyboards.back(t))
