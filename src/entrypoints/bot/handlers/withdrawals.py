"""Withdrawals from the chat, by buttons: the amount (a few buttons within the balance, or
typed), the destination (typed: the prompt's example fits the currency; none for a currency
Crypto Pay pays, which goes to the player's own @CryptoBot), a confirm screen, then
the receipt as a message of its own; the player's pending withdrawals, each still waiting for
review with a cancel button. `/withdraw <amount> <destination>` does it in one message.

What the player chose while the bot waits for what they type is kept in the conversation's
storage (`entrypoints.bot.flow_storage`: Redis, which may lose it; the player then starts
again). The request's id derives from the confirm screen's draft (or, for the command, from
the chat and message), so a double tap on Confirm, or Telegram delivering a message twice,
requests once. The money rules are the use case's: a refusal names its rule in the player's
words (`refusal_text`).

Over 400 lines on purpose: one conversation whose steps (amount, destination, confirm, the
pending list and its cancel) share the draft kept between them; split, each module would
import the others' private steps.

The player's pending withdrawals and their cancel are in `withdrawals_pending`. Over 400
lines on purpose: one conversation, a handler per step (the bonus forfeit's confirm among
them), sharing the flow's state and drafts."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from aiogram import F
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.balances import GetBalances
from application.ports import CryptoPayConfig
from application.responsible.standing import CheckStanding
from application.withdrawals import RequestWithdrawal
from domain.bonuses import BonusBlocksWithdrawal
from domain.errors import InsufficientFunds, InvalidAmount, InvalidRequest
from domain.money import XTR, Currency, Money
from domain.players import Player
from domain.standing import Operation
from domain.withdrawal_policy import WithdrawalPolicy
from domain.withdrawals import WithdrawalRefused, validate_destination
from entrypoints.bot import bonus_keyboards as bonus_kb
from entrypoints.bot import withdraw_keyboards as kb
from entrypoints.bot.crypto_payout import CRYPTOBOT, paid_to_cryptobot
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Menu
from entrypoints.bot.routing import Handlers
from entrypoints.bot.screens import post, show

handlers = Handlers("withdrawals")
WITHDRAWAL_NAMESPACE = uuid.UUID("0c7d2f1e-8a55-4a8f-b1b6-2f4f8f0d7a31")
KNOWN_RULES = frozenset(
    {"currency", "min_amount", "max_amount", "daily_limit", "kyc_required", "wagering_requirement"}
)
# Currencies whose destination prompt has an example of its own; others get a general one.
DESTINATION_EXAMPLES = frozenset({"XTR", "TON", "USDT"})


class WithdrawFlow(StatesGroup):
    amount = State()  # waiting for a typed amount
    destination = State()  # waiting for the destination, the amount chosen


def refusal_text(t: Translator, refusal: WithdrawalRefused) -> str:
    if refusal.rule not in KNOWN_RULES:
        return t("refusals.withdrawal_other")  # "risk_review", a rule added later: no English
    return t(
        f"withdraw.refused.{refusal.rule}",
        limit=refusal.limit or "",
        remaining=refusal.remaining or "",
    )


# -- what the screens read ---------------------------------------------------------------------


async def _withdrawable(
    balances: GetBalances, policy: WithdrawalPolicy, player_id: int
) -> tuple[Money, ...]:
    """The player's balances in currencies the operator pays out, those holding money."""
    return tuple(
        b for b in await balances(player_id) if b.currency.code in policy.limits and b.amount > 0
    )


async def _cashing_out(check: CheckStanding, player_id: int) -> bool:
    """Whether the player may no longer play (a break, an exclusion, a block): the rules only
    play could meet are waived for them (`domain.withdrawal_policy`), the minimum among them for the
    whole balance. The use case decides again on Confirm."""
    return await check(player_id, Operation.BET) is not None


async def held_balance(
    balances: GetBalances, policy: WithdrawalPolicy, player_id: int, code: object
) -> Money | None:
    """The player's balance in the currency named `code` (from a button or the conversation),
    or None when the operator does not pay it out or the player has no wallet in it."""
    if not isinstance(code, str) or code not in policy.limits:
        return None
    return next((b for b in await balances(player_id) if b.currency.code == code), None)


def _amount_screen(
    t: Translator, policy: WithdrawalPolicy, balance: Money, cashing_out: bool
) -> tuple[str, InlineKeyboardMarkup]:
    limits = policy.limits[balance.currency.code]
    smallest, largest = (
        Money(limits.smallest(balance.amount, cashing_out), balance.currency),
        Money(limits.maximum, balance.currency),
    )
    offered = kb.offered_amounts(balance, limits, cashing_out)
    if not offered and balance.amount < limits.minimum:
        return (
            t("withdraw_flow.too_little", balance=balance, minimum=smallest),
            kb.after_receipt(t),
        )
    text = t("withdraw_flow.how_much", balance=balance, minimum=smallest, maximum=largest)
    return text, kb.amounts(t, offered, balance)


async def _ask_destination(
    state: FSMContext,
    t: Translator,
    amount: Money,
    username: str | None,
    crypto: CryptoPayConfig,
) -> tuple[str, InlineKeyboardMarkup]:
    """The amount is chosen (a button or typed): the flow waits for the destination, and this
    is the prompt asking for it; or, paid by Crypto Pay to the player's own @CryptoBot, the
    confirm screen at once (no address to ask: `entrypoints.bot.crypto_payout`)."""
    if paid_to_cryptobot(crypto, amount.currency):
        return await _confirm_screen(state, t, amount, CRYPTOBOT, t("withdraw_flow.to_cryptobot"))
    await state.set_state(WithdrawFlow.destination)
    await state.set_data({"code": amount.currency.code, "amount": amount.amount})
    return _destination_prompt(t, amount, username), kb.only_back(t)


async def _confirm_screen(
    state: FSMContext, t: Translator, amount: Money, destination: str, note: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    """The draft waits for Confirm (nothing is typed any more): the screen that asks for it."""
    press = secrets.token_hex(8)
    await state.set_state(None)
    await state.set_data({"press": press, "code": amount.currency.code, "amount": amount.amount,
                          "destination": destination})  # fmt: skip
    text = t("withdraw_flow.check", amount=amount, destination=destination)
    return (f"{text}\n\n{note}" if note else text), kb.confirm(t, press)


def _destination_prompt(t: Translator, amount: Money, username: str | None) -> str:
    code = amount.currency.code
    key = code if code in DESTINATION_EXAMPLES else "other"
    example = f"@{username}" if username else t("withdraw_flow.username_example")
    return (
        t("withdraw_flow.ask_destination", amount=amount)
        + "\n"
        + t(f"withdraw_flow.destination.{key}", example=example)
    )


# -- the flow ----------------------------------------------------------------------------------


@handlers.callback_query(Menu.filter(F.action == "withdraw"))
@inject
async def how_to_withdraw(
    query: CallbackQuery,
    player: Player,
    t: Translator,
    state: FSMContext,
    balances: FromDishka[GetBalances],
    policy: FromDishka[WithdrawalPolicy],
    check: FromDishka[CheckStanding],
) -> None:
    await query.answer()
    await state.clear()
    held = await _withdrawable(balances, policy, player.id)
    if len(held) > 1:
        await show(query, t("withdraw_flow.which_currency"), kb.currencies(t, held))
        return
    balance = held[0] if held else await held_balance(balances, policy, player.id, XTR.code)
    cashing_out = await _cashing_out(check, player.id)
    await show(query, *_amount_screen(t, policy, balance or Money(0, XTR), cashing_out))


@handlers.callback_query(kb.WithdrawCurrency.filter())
@inject
async def pick_currency(
    query: CallbackQuery,
    callback_data: kb.WithdrawCurrency,
    player: Player,
    t: Translator,
    balances: FromDishka[GetBalances],
    policy: FromDishka[WithdrawalPolicy],
    check: FromDishka[CheckStanding],
) -> None:
    await query.answer()
    balance = await held_balance(balances, policy, player.id, callback_data.code)
    if balance is not None:
        cashing_out = await _cashing_out(check, player.id)
        await show(query, *_amount_screen(t, policy, balance, cashing_out))


@handlers.callback_query(kb.WithdrawAmount.filter())
@inject
async def pick_amount(
    query: CallbackQuery,
    callback_data: kb.WithdrawAmount,
    player: Player,
    t: Translator,
    state: FSMContext,
    balances: FromDishka[GetBalances],
    policy: FromDishka[WithdrawalPolicy],
    check: FromDishka[CheckStanding],
    crypto: FromDishka[CryptoPayConfig],
) -> None:
    balance = await held_balance(balances, policy, player.id, callback_data.code)
    if balance is None:
        await query.answer()
        return
    cashing_out = await _cashing_out(check, player.id)
    currency = balance.currency
    if callback_data.amount == 0:
        await query.answer()
        await state.set_state(WithdrawFlow.amount)
        await state.set_data({"code": currency.code})
        text = t("withdraw_flow.ask_amount", balance=balance, example=_example(currency))
        await show(query, text, kb.only_back(t))
        return
    amount = Money(callback_data.amount, currency)
    if amount not in kb.offered_amounts(balance, policy.limits[currency.code], cashing_out):
        # An old screen: the balance has changed since. Offer what it allows now.
        await query.answer(t("withdraw_flow.outdated"))
        await show(query, *_amount_screen(t, policy, balance, cashing_out))
        return
    await query.answer()
    await show(query, *await _ask_destination(state, t, amount, query.from_user.username, crypto))


def _example(currency: Currency) -> str:
    return "500" if currency.exponent == 0 else "1.5"


@handlers.message(Command("withdraw"))
@inject
async def withdraw(
    message: Message,
    command: CommandObject,
    player: Player,
    t: Translator,
    request: FromDishka[RequestWithdrawal],
) -> None:
    parts = (command.args or "").split(maxsplit=1)
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if len(parts) != 2 or not (parts[0].isascii() and parts[0].isdigit()) or int(parts[0]) <= 0:
        await message.answer(t("withdraw.usage"))
        return
    amount = Money(int(parts[0]), XTR)
    request_id = uuid.uuid5(WITHDRAWAL_NAMESPACE, f"{message.chat.id}:{message.message_id}")
    withdrawal = await request(player.id, amount, parts[1], request_id)
    await message.answer(
        t("withdraw.requested", amount=withdrawal.amount, destination=withdrawal.destination)
    )


async def _draft(
    message: Message,
    state: FSMContext,
    t: Translator,
    held: tuple[GetBalances, WithdrawalPolicy, int],
) -> tuple[dict[str, Any], Money] | None:
    """What the conversation holds and the balance in its currency; None, once the player is
    told to start again, when it lost what was chosen (Redis forgot it)."""
    data = await state.get_data()
    balance = await held_balance(*held, data.get("code"))
    if balance is None:
        await state.clear()
        await message.answer(t("withdraw_flow.expired"), reply_markup=kb.start_again(t))
        return None
    return data, balance


@handlers.message(StateFilter(WithdrawFlow.amount))
@inject
async def typed_amount(
    message: Message,
    player: Player,
    t: Translator,
    state: FSMContext,
    balances: FromDishka[GetBalances],
    policy: FromDishka[WithdrawalPolicy],
    check: FromDishka[CheckStanding],
    crypto: FromDishka[CryptoPayConfig],
) -> None:
    draft = await _draft(message, state, t, (balances, policy, player.id))
    if draft is None:
        return
    balance = draft[1]
    currency = balance.currency
    try:
        amount = Money.parse((message.text or "").strip().replace(",", "."), currency)
        amount.require_positive()
    except (InvalidAmount, InvalidRequest):
        await message.answer(
            t("withdraw_flow.bad_amount", example=_example(currency)), reply_markup=kb.only_back(t)
        )
        return
    limits = policy.limits[currency.code]
    if amount > balance:
        refusal = t("withdraw_flow.too_much", balance=balance)
    elif amount.amount < limits.smallest(balance.amount, await _cashing_out(check, player.id)):
        refusal = t("withdraw.refused.min_amount", limit=Money(limits.minimum, currency))
    elif amount.amount > limits.maximum:
        refusal = t("withdraw.refused.max_amount", limit=Money(limits.maximum, currency))
    else:
        username = message.from_user.username if message.from_user else None
        prompt, markup = await _ask_destination(state, t, amount, username, crypto)
        await message.answer(prompt, reply_markup=markup)
        return
    await message.answer(refusal, reply_markup=kb.only_back(t))


@handlers.message(StateFilter(WithdrawFlow.destination))
@inject
async def typed_destination(
    message: Message,
    player: Player,
    t: Translator,
    state: FSMContext,
    balances: FromDishka[GetBalances],
    policy: FromDishka[WithdrawalPolicy],
) -> None:
    draft = await _draft(message, state, t, (balances, policy, player.id))
    if draft is None:
        return
    data, balance = draft
    if not isinstance(data.get("amount"), int):  # the state and its data part ways
        await state.clear()
        await message.answer(t("withdraw_flow.expired"), reply_markup=kb.start_again(t))
        return
    try:
        destination = validate_destination(message.text or "")
    except InvalidRequest:
        await message.answer(t("withdraw_flow.bad_destination"), reply_markup=kb.only_back(t))
        return
    amount = Money(data["amount"], balance.currency)
    text, markup = await _confirm_screen(state, t, amount, destination)
    await message.answer(text, reply_markup=markup)


@handlers.callback_query(kb.WithdrawConfirm.filter(F.go))
@inject
async def confirm_withdrawal(
    query: CallbackQuery,
    callback_data: kb.WithdrawConfirm,
    player: Player,
    t: Translator,
    state: FSMContext,
    request: FromDishka[RequestWithdrawal],
    balances: FromDishka[GetBalances],
    policy: FromDishka[WithdrawalPolicy],
) -> None:
    draft = _Draft(query, callback_data.press, player, t, state)
    await draft.request(request, (balances, policy, player.id), forfeit_bonus=False)


@handlers.callback_query(bonus_kb.WithdrawForfeit.filter())
@inject
async def confirm_withdrawal_forfeit(
    query: CallbackQuery,
    callback_data: bonus_kb.WithdrawForfeit,
    player: Player,
    t: Translator,
    state: FSMContext,
    request: FromDishka[RequestWithdrawal],
    balances: FromDishka[GetBalances],
    policy: FromDishka[WithdrawalPolicy],
) -> None:
    """The one extra step while a bonus is active: the player read that withdrawing forfeits
    it (docs/bonuses.md) and confirmed; the same draft is requested, giving the bonus up."""
    draft = _Draft(query, callback_data.press, player, t, state)
    await draft.request(request, (balances, policy, player.id), forfeit_bonus=True)


@dataclass(frozen=True, slots=True)
class _Draft:
    """The confirmed draft `press` of the conversation, and whom to answer."""

    query: CallbackQuery
    press: str
    player: Player
    t: Translator
    state: FSMContext

    async def request(
        self,
        request: RequestWithdrawal,
        held_by: tuple[GetBalances, WithdrawalPolicy, int],
        *,
        forfeit_bonus: bool,
    ) -> None:
        query, press, t, state = self.query, self.press, self.t, self.state
        data = await state.get_data()
        if data.get("done") == press:  # a second tap on a confirmed screen
            await query.answer(t("withdraw_flow.already"))
            return
        held = await held_balance(*held_by, data.get("code"))
        if data.get("press") != press or held is None:
            await query.answer(t("withdraw_flow.expired"), show_alert=True)
            return
        amount = Money(int(data["amount"]), held.currency)
        request_id = uuid.uuid5(WITHDRAWAL_NAMESPACE, f"{self.player.id}:{press}")
        destination = str(data["destination"])
        try:
            withdrawal = await request(
                self.player.id, amount, destination, request_id, forfeit_bonus=forfeit_bonus
            )
        except BonusBlocksWithdrawal as bonus:
            # The draft stays: the player confirms giving the bonus up, or keeps it.
            await query.answer()
            text = t(
                "bonus.withdraw.forfeit_ask",
                amount=bonus.amount,
                wagered=bonus.wagered.amount,
                required=bonus.required,
                withdraw=amount,
            )
            await show(query, text, bonus_kb.withdraw_forfeit(t, press))
            return
        except WithdrawalRefused as refused:
            await _drop(query, state, refusal_text(t, refused), t)
            return
        except InsufficientFunds:
            now = await held_balance(*held_by, amount.currency.code)
            await _drop(query, state, t("withdraw_flow.too_much", balance=now or held), t)
            return
        await query.answer()
        await state.set_data({"done": press})
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)  # the screen is used
        receipt = t(
            "withdraw.requested", amount=withdrawal.amount, destination=withdrawal.destination
        )
        await post(query, receipt + "\n" + t("withdraw_flow.can_cancel"), kb.after_receipt(t))


async def _drop(query: CallbackQuery, state: FSMContext, text: str, t: Translator) -> None:
    """The draft cannot be requested: say why, and offer to start again."""
    await query.answer()
    await state.clear()
    await show(query, text, kb.start_again(t))


@handlers.callback_query(kb.WithdrawConfirm.filter(~F.go))
async def drop_withdrawal(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await _drop(query, state, t("withdraw_flow.dropped"), t)
