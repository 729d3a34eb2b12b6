"""Crash in the chat: pick a stake and an automatic cash-out (1.5x, 2x, 5x, 10x, or by hand),
and the bet joins the round taking bets. Its message carries a Cash out button (a bet by
hand) and a Round status button that edits the message with the round now and the bet's
result once the round has crashed.

A bet placed here asks for its result (`notify`): after the round crashes the bot sends it by
itself, in the player's language, with the round's hash (application/notices, docs/bot.md);
the status button still reads the round at any time.

Callback data stays under Telegram's 64 bytes: a bet is named by its id's 32 hex digits. Its id
derives from the tap that placed it, so a double tap places one bet."""

from __future__ import annotations

import math
import secrets
import uuid

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.betting import GetBet
from application.crash import (
    CashOutCommand,
    CashOutRoundBet,
    GetRound,
    PlaceRoundBet,
    PlaceRoundBetCommand,
)
from application.ports import Clock
from domain.bets import Bet, BetState
from domain.crash import multiplier_at
from domain.crash_rounds import CrashChain, CrashRound, RoundPhase
from domain.errors import NotFound
from domain.games.base import format_hundredths
from domain.money import XTR, Money
from domain.players import Player
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import PickGame, PickStake
from entrypoints.bot.routing import Handlers
from entrypoints.observability.bets import placing

handlers = Handlers("crash")
BY_HAND = 0
TARGETS = (150, 200, 500, 1000)  # hundredths: 1.5x 2x 5x 10x
# Bet ids derive from the tap: the same button of the same keyboard is the same bet.
BET_NAMESPACE = uuid.UUID("c4a1f0de-3b7e-4f57-8d2a-5e0c9b7a1d44")


class CrashBet(CallbackData, prefix="cb"):
    stake: int
    target: int  # hundredths; 0: by hand
    press: str  # one id per rendered keyboard: a double tap sends the same id twice


class CrashCash(CallbackData, prefix="cc"):
    bet: str  # the bet's id, 32 hex digits


class CrashLook(CallbackData, prefix="cl"):
    bet: str
    round: int


def targets(stake: int, t: Translator) -> InlineKeyboardMarkup:
    press = secrets.token_hex(4)
    buttons = [
        InlineKeyboardButton(
            text=f"{_x(target)}x",
            callback_data=CrashBet(stake=stake, target=target, press=press).pack(),
        )
        for target in TARGETS
    ]
    by_hand = InlineKeyboardButton(
        text=t("crash.by_hand"),
        callback_data=CrashBet(stake=stake, target=BY_HAND, press=press).pack(),
    )
    return InlineKeyboardMarkup(inline_keyboard=[buttons, [by_hand]])


def _x(hundredths: int) -> str:
    """1.5, 2, 10.25: a multiplier as people say it."""
    return _said(format_hundredths(hundredths))


def _said(decimal: str) -> str:
    """10.00 said as 10, 1.50 as 1.5 (the dot stops the zeros being stripped from 100)."""
    return decimal.rstrip("0").rstrip(".") if "." in decimal else decimal


def _bet_id(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(hex=text)
    except ValueError:
        return None


def bet_keyboard(bet: Bet, round_: CrashRound, t: Translator) -> InlineKeyboardMarkup:
    """Cash out (a bet by hand, still riding, before the crash) and Round status; once the
    bet is settled, a button to play again."""
    rows: list[list[InlineKeyboardButton]] = []
    if bet.state is BetState.PLACED and round_.phase is not RoundPhase.CRASHED:
        if "target" not in bet.params:
            cash = CrashCash(bet=bet.id.hex).pack()
            rows.append([InlineKeyboardButton(text=t("crash.cash_out"), callback_data=cash)])
        look = CrashLook(bet=bet.id.hex, round=round_.id).pack()
        rows.append([InlineKeyboardButton(text=t("crash.status"), callback_data=look)])
    else:
        again = PickGame(game="crash").pack()
        rows.append([InlineKeyboardButton(text=t("crash.again"), callback_data=again)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def status_text(
    bet: Bet, balance: Money, round_: CrashRound, chain: CrashChain, clock: Clock, t: Translator
) -> str:
    """The round now, then the bet: riding, or its result once settled (and the line that
    checks a crashed round)."""
    now = clock.now()
    if round_.phase is RoundPhase.BETTING:
        left = max(0, math.ceil((round_.betting_ends_at - now).total_seconds()))
        lines = [t("crash.betting", round=round_.number, seconds=left)]
    elif round_.phase is RoundPhase.RUNNING and round_.started_at is not None:
        ms = max(0, int((now - round_.started_at).total_seconds() * 1000))
        lines = [t("crash.running", round=round_.number, multiplier=_x(multiplier_at(ms)))]
    else:
        lines = [t("crash.crashed", round=round_.number, point=_x(round_.crash_point or 0))]
    target = bet.params.get("target")
    if bet.state is BetState.WON:
        multiplier = format_hundredths(bet.outcome or 0)
        payout = Money(bet.payout or 0, bet.stake.currency)
        lines.append(
            t("crash.won", multiplier=multiplier, payout=payout, stake=bet.stake, balance=balance)
        )
    elif bet.state is BetState.LOST:
        lines.append(t("crash.lost", stake=bet.stake, balance=balance))
    elif bet.state is BetState.VOIDED:
        lines.append(t("crash.refunded", stake=bet.stake, balance=balance))
    elif target:
        lines.append(t("crash.riding_auto", stake=bet.stake, target=_said(target)))
    else:
        lines.append(t("crash.riding_by_hand", stake=bet.stake))
    if round_.phase is RoundPhase.CRASHED and round_.round_hash and chain.salt:
        lines.append(
            t(
                "crash.verify",
                round=round_.number,
                hash=round_.round_hash,
                salt=chain.salt,
                end=chain.end_hash,
            )
        )
    return "\n".join(lines)


async def _edit(message: Message, text: str, markup: InlineKeyboardMarkup) -> None:
    # A status pressed twice within the same second would say the same again, which Telegram
    # refuses as "message is not modified": the message already says it.
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as error:
        if "not modified" not in str(error):
            raise


@handlers.callback_query(PickStake.filter((F.game == "crash") & (F.stake > 0)))
async def pick_target(query: CallbackQuery, callback_data: PickStake, t: Translator) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            t("crash.target", stake=Money(callback_data.stake, XTR)),
            reply_markup=targets(callback_data.stake, t),
        )


@handlers.callback_query(CrashBet.filter((F.stake > 0) & F.target.in_((BY_HAND, *TARGETS))))
@inject
async def place_crash_bet(
    query: CallbackQuery,
    callback_data: CrashBet,
    player: Player,
    t: Translator,
    place: FromDishka[PlaceRoundBet],
    get: FromDishka[GetRound],
    clock: FromDishka[Clock],
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer()
        return
    bet_id = uuid.uuid5(
        BET_NAMESPACE,
        f"{query.from_user.id}:{callback_data.press}:{callback_data.stake}:{callback_data.target}",
    )
    target = callback_data.target
    params = {"target": format_hundredths(target)} if target != BY_HAND else {}
    stake = Money(callback_data.stake, XTR)
    command = PlaceRoundBetCommand(player.id, bet_id, stake, params, notify=True)
    # A refusal (standing, limits, no round taking bets, a bet already in this round) goes to
    # the error handler, which answers the tap in the player's language.
    with placing(bet_id, "bot", "crash bet"):
        placed = await place(command)
    await query.answer()
    if placed.receipt.replayed:
        return  # a double tap: the first tap already said so
    view = await get(placed.round.id)
    bet = placed.receipt.bet
    text = status_text(bet, placed.receipt.balance, placed.round, view.chain, clock, t)
    await message.answer(text, reply_markup=bet_keyboard(bet, placed.round, t))


@handlers.callback_query(CrashCash.filter())
@inject
async def cash_out_crash(
    query: CallbackQuery,
    callback_data: CrashCash,
    player: Player,
    t: Translator,
    cash_out: FromDishka[CashOutRoundBet],
    get: FromDishka[GetRound],
    clock: FromDishka[Clock],
) -> None:
    bet_id = _bet_id(callback_data.bet)
    message = query.message
    if bet_id is None or not isinstance(message, Message):
        await query.answer()
        return
    # Refused before the round starts and after it crashed: the error handler says so.
    done = await cash_out(CashOutCommand(player.id, bet_id))
    await query.answer(
        t("crash.cashed_out", multiplier=format_hundredths(done.multiplier),
          payout=Money(done.receipt.bet.payout or 0, done.receipt.bet.stake.currency))
    )  # fmt: skip
    if done.receipt.replayed:
        return
    view = await get(done.round.id)
    bet = done.receipt.bet
    text = status_text(bet, done.receipt.balance, done.round, view.chain, clock, t)
    await _edit(message, text, bet_keyboard(bet, done.round, t))


@handlers.callback_query(CrashLook.filter())
@inject
async def crash_status(
    query: CallbackQuery,
    callback_data: CrashLook,
    player: Player,
    t: Translator,
    get_bet: FromDishka[GetBet],
    get: FromDishka[GetRound],
    clock: FromDishka[Clock],
) -> None:
    bet_id = _bet_id(callback_data.bet)
    message = query.message
    if bet_id is None or not isinstance(message, Message):
        await query.answer()
        return
    receipt = await get_bet(bet_id)
    if receipt.bet.player_id != player.id or receipt.bet.game != "crash":
        raise NotFound(f"there is no bet {bet_id}")  # another player's: as if there were none
    view = await get(callback_data.round)
    await query.answer()
    text = status_text(receipt.bet, receipt.balance, view.round, view.chain, clock, t)
    await _edit(message, text, bet_keyboard(receipt.bet, view.round, t))
