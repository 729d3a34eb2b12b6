"""Games from buttons: pick a game, a stake and an option; the bet is placed first, then (for
Telegram dice games) the bot sends the dice and settles on its value."""

from __future__ import annotations

import asyncio
import logging
import uuid

from aiogram import Bot, F
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
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
from application.betting.stake_range import GetStakeRange
from application.game_admin import ListGames
from application.responsible.standing import CheckStanding
from domain.bets import Bet
from domain.games.base import TelegramDiceGame
from domain.games.catalog import DEFAULT_HOUSE_EDGE, GAMES
from domain.money import XTR, Money
from domain.players import Player
from domain.stakes import StakeRange, StakeStep
from domain.standing import Operation
from entrypoints.bot import keyboards, screens, stake_picker
from entrypoints.bot.game_texts import game_name, placed_text, result_text
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import OPTIONS, Menu, PickGame, PickStake
from entrypoints.bot.keyboards import PlaceBet as PlaceBetButton
from entrypoints.bot.routing import Handlers
from entrypoints.bot.settings import BotOptions
from entrypoints.bot.stake_picker import DEFAULT_STAKE, StakeAsk, StakeControl, StakeEntry
from entrypoints.bot.standing_screen import standing_screen
from entrypoints.observability.bets import placing

log = logging.getLogger(__name__)
handlers = Handlers("games")
# Bet ids derive from the tap: the same button of the same keyboard is the same bet.
BET_NAMESPACE = uuid.UUID("6f0b8a6e-3c59-4e43-9a51-6f3f0c1b9d11")
# Every game picked from the list takes its stake on the one picker here; mines and crash then
# go on to screens of their own (entrypoints/bot/handlers/mines.py, crash.py).
STAKE_GAMES = frozenset({*OPTIONS, "mines", "crash"})


@handlers.callback_query(Menu.filter(F.action == "games"))
@inject
async def list_games(
    query: CallbackQuery,
    player: Player,
    t: Translator,
    state: FSMContext,
    check: FromDishka[CheckStanding],
) -> None:
    await query.answer()
    await state.clear()  # back from the stake picker: a typed number is no stake any more
    # A time-out, an exclusion, a block or the missing 18+ confirmation is shown here, with
    # what still works, rather than at the last tap of a bet.
    refusal = await check(player.id, Operation.BET)
    if refusal is not None:
        await screens.show(query, *standing_screen(t, refusal))
        return
    await screens.show(query, t("games.choose"), keyboards.games(t))


async def _show_stakes(
    query: CallbackQuery, t: Translator, game: str, stakes: StakeRange, stake: int
) -> None:
    if not stakes.playable:
        await screens.show(query, *stake_picker.broke(t, game, stakes))
        return
    stake = stakes.clamp(stake)
    await screens.show(
        query, stake_picker.screen(t, game, stakes, stake), stake_picker.keyboard(t, game, stake)
    )


@handlers.callback_query(PickGame.filter(F.game.in_(STAKE_GAMES)))
@inject
async def pick_stake(
    query: CallbackQuery,
    callback_data: PickGame,
    player: Player,
    t: Translator,
    state: FSMContext,
    stake_range: FromDishka[GetStakeRange],
) -> None:
    await query.answer()
    await state.clear()
    game = callback_data.game
    await _show_stakes(query, t, game, await stake_range(player.id, game), DEFAULT_STAKE)


@handlers.callback_query(
    StakeControl.filter(F.game.in_(STAKE_GAMES) & F.step.in_(stake_picker.STEPS))
)
@inject
async def step_stake(
    query: CallbackQuery,
    callback_data: StakeControl,
    player: Player,
    t: Translator,
    state: FSMContext,
    stake_range: FromDishka[GetStakeRange],
) -> None:
    """½, ×2, min, max (or back from typing): the new stake is computed from the range read now,
    whatever the button carried."""
    await state.clear()
    game = callback_data.game
    stakes = await stake_range(player.id, game)
    if callback_data.step == stake_picker.SHOW or not stakes.playable:
        stake = stakes.clamp(callback_data.stake)
    else:
        stake = stakes.step(callback_data.stake, StakeStep(callback_data.step))
    if stakes.playable and stake == callback_data.stake and callback_data.step != stake_picker.SHOW:
        # Nothing to change (½ at the minimum, ×2 at the maximum): say so, keep the screen.
        at_high = stake == stakes.high and callback_data.step in ("double", "max")
        key = "stakes.already_max" if at_high else "stakes.already_min"
        await query.answer(t(key, high=stakes.money(stakes.high), low=stakes.money(stakes.low)))
        return
    await query.answer()
    await _show_stakes(query, t, game, stakes, stake)


@handlers.callback_query(StakeAsk.filter(F.game.in_(STAKE_GAMES)))
@inject
async def ask_stake(
    query: CallbackQuery,
    callback_data: StakeAsk,
    player: Player,
    t: Translator,
    state: FSMContext,
    stake_range: FromDishka[GetStakeRange],
) -> None:
    await query.answer()
    game = callback_data.game
    stakes = await stake_range(player.id, game)
    if not stakes.playable:
        await screens.show(query, *stake_picker.broke(t, game, stakes))
        return
    await state.set_state(StakeEntry.amount)
    await state.set_data({"game": game, "stake": stakes.clamp(callback_data.stake)})
    text, reply = stake_picker.ask_prompt(t, game, stakes)
    if isinstance(query.message, Message):
        # A prompt of its own: a reply field cannot be put on an edited message.
        await query.message.answer(text, reply_markup=reply)


@handlers.message(StakeEntry.amount, F.text, ~F.text.startswith("/"))
@inject
async def typed_stake(
    message: Message,
    player: Player,
    t: Translator,
    state: FSMContext,
    stake_range: FromDishka[GetStakeRange],
) -> None:
    """A typed stake: a whole number inside the range becomes the picker's stake; anything
    else is answered with what would do, and the picker waits for another number."""
    data = await state.get_data()
    game, shown = data.get("game"), data.get("stake")
    if game not in STAKE_GAMES or not isinstance(shown, int):
        await state.clear()  # state from an older build: nothing to go back to
        return
    typed = stake_picker.parse_typed(message.text or "")
    stakes = await stake_range(player.id, game)
    cancel = stake_picker.cancel(t, game, shown)
    if typed is None:
        await message.answer(t("stakes.not_a_number"), reply_markup=cancel)
        return
    problem = stakes.problem(typed)
    if problem is not None:
        await message.answer(
            stake_picker.problem_text(t, game, stakes, problem), reply_markup=cancel
        )
        return
    await state.clear()
    await message.answer(
        stake_picker.screen(t, game, stakes, typed),
        reply_markup=stake_picker.keyboard(t, game, typed),
    )


@handlers.callback_query(PickStake.filter(F.game.in_(STAKE_GAMES)))
@inject
async def check_stake(
    query: CallbackQuery,
    callback_data: PickStake,
    player: Player,
    t: Translator,
    state: FSMContext,
    stake_range: FromDishka[GetStakeRange],
) -> None:
    """ "Play for" a stake: checked against the range read now before any game's own screen
    (the options here, the mine count, crash's cash-out target), which the tap then reaches
    (`SkipHandler`). A stake outside the range (an old screen, a forged tap) is refused with the
    range, and the picker comes back at the nearest stake allowed."""
    await state.clear()
    game = callback_data.game
    stakes = await stake_range(player.id, game)
    problem = stakes.problem(callback_data.stake)
    if problem is None:
        raise SkipHandler
    await query.answer(stake_picker.problem_text(t, game, stakes, problem), show_alert=True)
    await _show_stakes(query, t, game, stakes, callback_data.stake)


@handlers.callback_query(PickStake.filter(F.game.in_(OPTIONS) & (F.stake > 0)))
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
        await screens.show(
            query,
            t(prompt, game=game_name(t, callback_data.game), stake=Money(callback_data.stake, XTR)),
            keyboards.options(t, callback_data.game, callback_data.stake, house_edge),
        )


@handlers.callback_query(PlaceBetButton.filter(F.game.in_(OPTIONS) & (F.stake > 0)))
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
