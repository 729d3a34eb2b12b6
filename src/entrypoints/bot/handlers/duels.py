"""Duels in group chats (docs/duels.md): `/duel @user STAKE [GAME]`, or `/duel STAKE [GAME]`
as a reply to the challenged player's message; Accept and Decline buttons only the challenged
player may press; then the bot sends each player's die (`sendDice`: the value is Telegram's,
never a player's own or forwarded die) and announces the result.

Nobody is registered here (entrypoints/bot/groups.py): a player who never started the bot in
a private chat is sent there with a link. What a refusal of a player's own says (a limit, a
break) is told to that player alone, in a private message or a tap's alert, never to the
group; the other player's refusal is the neutral "cannot duel right now"."""

from __future__ import annotations

import asyncio
import logging
import uuid

from aiogram import Bot, F
from aiogram.enums import ChatType, MessageEntityType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message, User
from dishka.integrations.aiogram import FromDishka, inject

from application.duels import (
    AcceptDuel,
    ChallengeDuel,
    ChallengeDuelCommand,
    DeclineDuel,
    DuelistUnknown,
    FindDuelGroup,
    OpponentUnavailable,
    RecordDuelGroup,
    RecordDuelRoll,
    RecordDuelRollCommand,
)
from domain.duels import DEFAULT_DUEL_GAME, DUEL_GAMES, Duel, DuelRules, NotYourDuel, Seat
from domain.errors import DomainError, IllegalTransition, InvalidAmount, InvalidRequest
from domain.money import XTR, Money
from entrypoints.bot.group_check import serves_duels
from entrypoints.bot.handlers.duels_keyboards import DuelTap, answer_buttons
from entrypoints.bot.handlers.duels_texts import DuelNames, challenge_text, result_text
from entrypoints.bot.i18n import Translator, pick_language
from entrypoints.bot.refusals import refusal_text
from entrypoints.bot.routing import Handlers
from entrypoints.bot.settings import BotOptions

log = logging.getLogger(__name__)
handlers = Handlers("duels")
# A duel's id derives from the command's chat and message: a repeated update is the same duel.
DUEL_NAMESPACE = uuid.UUID("0b6f7c8e-5a1d-4f0e-9c55-2d6c1e7a9b31")
_GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)
_IN_GROUPS = F.chat.type.in_(_GROUPS)


def _translator(user: User | None) -> Translator:
    return Translator(pick_language(user.language_code if user else None))


def _name(user: User) -> str:
    return f"@{user.username}" if user.username else user.first_name


async def _start_link(bot: Bot) -> str:
    me = await bot.me()
    return f"https://t.me/{me.username}?start=duel"


def _target(message: Message, words: list[str]) -> tuple[User | None, str | None, list[str]]:
    """Who is challenged, and the words left: a reply's author, a text mention, or an
    @username as the first word."""
    if message.reply_to_message is not None and message.reply_to_message.from_user is not None:
        return message.reply_to_message.from_user, None, words
    for entity in message.entities or ():
        if entity.type == MessageEntityType.TEXT_MENTION and entity.user is not None:
            return entity.user, None, words[1:]
    if words and words[0].startswith("@") and len(words[0]) > 1:
        return None, words[0][1:], words[1:]
    return None, None, words


@handlers.message(_IN_GROUPS, Command("duel"))
@inject
async def challenge(
    message: Message,
    command: CommandObject,
    bot: Bot,
    challenge_duel: FromDishka[ChallengeDuel],
    rules: FromDishka[DuelRules],
    find_group: FromDishka[FindDuelGroup],
    record_group: FromDishka[RecordDuelGroup],
) -> None:
    challenger = message.from_user
    if challenger is None:
        return
    t = _translator(challenger)
    if not await serves_duels(bot, message.chat, find_group, record_group):
        await message.reply(t("groups.unverified"))
        return
    user, username, rest = _target(message, (command.args or "").split())
    if (user is None and username is None) or not rest or len(rest) > 2:
        await message.reply(t("duels.usage"))
        return
    game = rest[1] if len(rest) == 2 else DEFAULT_DUEL_GAME
    if game not in DUEL_GAMES:
        await message.reply(t("duels.usage"))
        return
    if user is not None and user.is_bot:
        await message.reply(t("duels.no_bots"))
        return
    if user is not None and user.id == challenger.id:
        await message.reply(t("duels.self"))
        return
    try:
        stake = Money.parse(rest[0], XTR).require_positive()
    except (InvalidAmount, InvalidRequest):
        await message.reply(t("duels.usage"))
        return
    duel_id = uuid.uuid5(DUEL_NAMESPACE, f"{message.chat.id}:{message.message_id}")
    try:
        duel = await challenge_duel(
            ChallengeDuelCommand(
                duel_id,
                message.chat.id,
                challenger.id,
                stake,
                game,
                challenged_telegram_id=None if user is None else user.id,
                challenged_username=username,
            )
        )
    except DomainError as error:
        await _refused(message, bot, t, error, challenger, user, username)
        return
    names = DuelNames(_name(challenger), _name(user) if user else f"@{username}")
    await message.reply(
        challenge_text(t, duel, names, rules.accept_window),
        reply_markup=answer_buttons(t, duel.id),
    )


async def _refused(
    message: Message,
    bot: Bot,
    t: Translator,
    error: DomainError,
    challenger: User,
    user: User | None,
    username: str | None,
) -> None:
    if isinstance(error, DuelistUnknown):
        link = await _start_link(bot)
        if error.telegram_user_id == challenger.id:
            name = _name(challenger)
        else:
            name = _name(user) if user is not None else f"@{error.username or username}"
        await message.reply(t("duels.start_first", name=name, link=link))
    elif isinstance(error, OpponentUnavailable):
        name = _name(user) if user is not None else f"@{username}"
        await message.reply(t("duels.opponent_unavailable", name=name))
    elif isinstance(error, InvalidRequest | IllegalTransition):
        await message.reply(t("duels.cannot", reason=refusal_text(t, error)))
    else:
        # The challenger's own refusal (funds, a limit, a break): theirs alone to read.
        await _tell_privately(bot, challenger, refusal_text(t, error))
        await message.reply(t("duels.refused_privately", name=_name(challenger)))


async def _tell_privately(bot: Bot, user: User, text: str) -> None:
    try:
        await bot.send_message(user.id, text)
    except TelegramAPIError:
        log.info("could not tell player %s privately why their duel was refused", user.id)


@handlers.callback_query(DuelTap.filter(F.action == "decline"))
@inject
async def decline(
    query: CallbackQuery, callback_data: DuelTap, decline_duel: FromDishka[DeclineDuel]
) -> None:
    t = _translator(query.from_user)
    try:
        duel = await decline_duel(uuid.UUID(hex=callback_data.duel), query.from_user.id)
    except DomainError as error:
        await query.answer(_tap_refusal(t, error), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        names = _names_from(query)
        await query.message.edit_text(
            t("duels.declined", challenged=names.challenged, stake=duel.stake),
            reply_markup=None,
        )


@handlers.callback_query(DuelTap.filter(F.action == "accept"))
@inject
async def accept(
    query: CallbackQuery,
    callback_data: DuelTap,
    bot: Bot,
    accept_duel: FromDishka[AcceptDuel],
    record: FromDishka[RecordDuelRoll],
    options: FromDishka[BotOptions],
) -> None:
    t = _translator(query.from_user)
    try:
        duel = await accept_duel(uuid.UUID(hex=callback_data.duel), query.from_user.id)
    except DomainError as error:
        await query.answer(_tap_refusal(t, error), show_alert=True)
        return
    await query.answer()
    message = query.message
    if not isinstance(message, Message):
        return
    names = _names_from(query)
    await message.edit_text(
        t("duels.accepted", challenged=names.challenged, challenger=names.challenger),
        reply_markup=None,
    )
    duel = await _roll(bot, message.chat.id, duel, record)
    # The values are known at once; the players see them when the animations have played.
    await asyncio.sleep(options.dice_delay)
    await bot.send_message(message.chat.id, result_text(t, duel, names))


async def _roll(bot: Bot, chat_id: int, duel: Duel, record: RecordDuelRoll) -> Duel:
    """Send each seat's die in turn and record it, round after round, until the duel ends.
    A die that cannot be sent leaves the duel to the expiry job, which refunds it."""
    while duel.seat_to_roll is not None:
        seat: Seat = duel.seat_to_roll
        try:
            thrown = await bot.send_dice(chat_id, emoji=duel.game)
        except TelegramAPIError:
            log.exception("could not send a die for duel %s", duel.id)
            return duel
        if thrown.dice is None:  # pragma: no cover - Telegram always answers with the dice
            return duel
        duel = await record(
            RecordDuelRollCommand(duel.id, duel.round, seat, thrown.dice.value, thrown.message_id)
        )
    return duel


def _names_from(query: CallbackQuery) -> DuelNames:
    """The players' names: the challenge is a reply to the /duel command, whose author is the
    challenger; the challenged player is the one who tapped."""
    challenged = _name(query.from_user)
    message = query.message
    original = message.reply_to_message if isinstance(message, Message) else None
    author = original.from_user if original is not None else None
    if author is None:
        return DuelNames(_translator(query.from_user)("duels.the_challenger"), challenged)
    return DuelNames(_name(author), challenged)


def _tap_refusal(t: Translator, error: DomainError) -> str:
    if isinstance(error, DuelistUnknown):
        return t("duels.start_first_tap")
    if isinstance(error, OpponentUnavailable):
        return t("duels.opponent_unavailable_tap")
    if isinstance(error, NotYourDuel):
        return t("duels.not_for_you")
    if isinstance(error, IllegalTransition):
        return t("duels.gone")
    return refusal_text(t, error)  # the tapper's own refusal, in an alert only they see


@handlers.message(_IN_GROUPS)
async def not_for_this_bot(message: Message) -> None:
    """A `/duel@another_bot`: not for this bot, and no other handler (they all serve private
    chats) may see it."""


@handlers.callback_query(F.message.chat.type.in_(_GROUPS))
async def old_duel_tap(query: CallbackQuery) -> None:
    """A duel button's data in a format no handler reads any more: the tap is answered."""
    await query.answer()
