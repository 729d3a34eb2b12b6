"""Games from buttons: pick a game, a stake and an option; the bet is placed first, then (for
Telegram dice games) the bot sends the dice and settles on its value."""

from __future__ import annotations

import asyncio
import logging
import uuid

from aiogram import Bot, F
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message, ReplyParameters
from dishka.integrations.aiogram import FromDishka, inject

from application.betting import (
    BetReceipt,
    PlaceBetCommand,
    SettleDiceBet,
    SettleDiceBetCommand,
    VoidBet,
    VoidBetCommand,
)
from application.betting.queue import BetQueue
from application.game_admin import ListGames
from domain.bets import Bet
from domain.games.base import TelegramDiceGame
from domain.games.catalog import DEFAULT_HOUSE_EDGE, GAMES
from domain.money import XTR, Money
from domain.players import Player
from entrypoints.bot import keyboards
from entrypoints.bot.game_texts import game_name, placed_text, result_text
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import OPTIONS, STAKES, Menu, PickGame, PickStake
from entrypoints.bot.keyboards import PlaceBet as PlaceBetButton
from entrypoints.bot.routing import Handlers
from entrypoints.bot.settings import BotOptions
from entrypoints.observability.bets import placing

log = logging.getLogger(__name__)
handlers = Handlers("games")
# Bet ids derive from the tap: the same button of the same keyboard is the same bet.
BET_NAMESPACE = uuid.UUID("6f0b8a6e-3c59-4e43-9a51-6f3f0c1b9d11")


@handlers.callback_query(Menu.filter(F.action == "games"))
async def list_games(query: CallbackQuery, t: Translator) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(t("games.choose"), reply_markup=keyboards.games(t))


@handlers.callback_query(PickGame.filter(F.game.in_(OPTIONS)))
async def pick_stake(query: CallbackQuery, callback_data: PickGame, t: Translator) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        title = GAMES[callback_data.game].title
        await query.message.answer(
            t("games.stake", game=title), reply_markup=keyboards.stakes(callback_data.game)
        )


@handlers.callback_query(PickStake.filter(F.game.in_(OPTIONS) & F.stake.in_(STAKES)))
@inject
async def pick_option(
    query: CallbackQuery, callback_data: PickStake, t: Translator, games: FromDishka[ListGames]
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        # The buttons show the multipliers this casino pays: at its configured house edge.
        configs = {config.code: config for config in await games()}
        config = configs.get(callback_data.game)
        house_edge = DEFAULT_HOUSE_EDGE if config is None else config.house_edge
        # Plinko's buttons are rows and risk: the prompt says which is which.
        prompt = "games.option_plinko" if callback_data.game == "plinko" else "games.option"
        await query.message.answer(
            t(
                prompt,
                game=game_name(t, callback_data.game),
                stake=Money(callback_data.stake, XTR),
            ),
            reply_markup=keyboards.options(t, callback_data.game, callback_data.stake, house_edge),
        )


@handlers.callback_query(PlaceBetButton.filter(F.game.in_(OPTIONS) & F.stake.in_(STAKES)))
@inject
async def place_bet(
    query: CallbackQuery,
    callback_data: PlaceBetButton,
    player: Player,
    t: Translator,
    bot: Bot,
    place: FromDishka[BetQueue],
    settle: FromDishka[SettleDiceBet],
    void: FromDishka[VoidBet],
    options: FromDishka[BotOptions],
) -> None:
    message = query.message
    params = OPTIONS[callback_data.game].get(callback_data.option)
    if params is None or not isinstance(message, Message):
        await query.answer()
        return
    bet_id = uuid.uuid5(
        BET_NAMESPACE,
        f"{query.from_user.id}:{callback_data.press}:{callback_data.game}:"
        f"{callback_data.stake}:{callback_data.option}",
    )
    # A refusal (the player's standing: blocked, the 18+ and terms not confirmed; a limit, an
    # exclusion, a reality check) is the use case's, and goes to the error handler, which
    # answers the tap in the player's language.
    with placing(bet_id, "bot", "place_bet"):
        receipt = await place(
            PlaceBetCommand(
                player.id, bet_id, callback_data.game, Money(callback_data.stake, XTR), params
            )
        )
    await query.answer()
    if receipt.replayed:
        return  # a double tap: the first tap is already taking care of this bet
    game = GAMES[callback_data.game]
    if not isinstance(game, TelegramDiceGame):
        await _show_result(message, receipt, t)
        return
    # The bet's own line, replied to by its dice and its result: two bets placed while one
    # animation plays are told apart.
    placed = await message.answer(placed_text(t, receipt.bet))
    try:
        thrown = await bot.send_dice(
            message.chat.id, emoji=game.emoji, reply_parameters=_reply_to(placed)
        )
    except TelegramAPIError:
        log.exception("could not send the dice for bet %s", bet_id)
        voided = await void(VoidBetCommand(bet_id, "the dice could not be sent"))
        await message.answer(t("errors.generic") + f" ({t.money(voided.balance)})")
        return
    if thrown.dice is None:  # pragma: no cover - Telegram always answers with the dice
        await void(VoidBetCommand(bet_id, "Telegram returned no dice"))
        return
    settled = await settle(
        SettleDiceBetCommand(bet_id, thrown.chat.id, thrown.message_id, thrown.dice.value)
    )
    # The value is known at once; the player sees it when the animation has played.
    await asyncio.sleep(options.dice_delay)
    await _show_result(message, settled, t, reply_to=placed)


def _reply_to(message: Message) -> ReplyParameters:
    # Sent anyway if the bet's message was deleted meanwhile.
    return ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True)


async def _show_result(
    message: Message, receipt: BetReceipt, t: Translator, reply_to: Message | None = None
) -> None:
    bet: Bet = receipt.bet
    text = result_text(t, bet, receipt.balance)
    if bet.fairness is not None:
        text += "\n" + t(
            "games.fair_result",
            nonce=bet.fairness.nonce,
            hash=bet.fairness.server_seed_hash[:16],
        )
    # A fresh keyboard (a new press id) for the next bet.
    markup = keyboards.options(t, bet.game, bet.stake.amount, bet.house_edge)
    await message.answer(
        text,
        reply_markup=markup,
        reply_parameters=None if reply_to is None else _reply_to(reply_to),
    )
