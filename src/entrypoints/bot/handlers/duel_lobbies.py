"""Open duel lobbies in group chats (docs/duels.md, "Lobbies"): `/lobby STAKE [GAME] [PLAYERS]`
opens one with the opener's seat; ➕ Join, ➖ Leave and ▶️ Start on its message; when it starts
(the opener's Start, or the seat that fills it) the bot sends one die per seat (`sendDice`:
the value is Telegram's), the tied seats again after a tie at the top, and announces the
result.

As for duels (entrypoints/bot/handlers/duels.py): lobbies are opened only in a verified group
(the same group check); nobody is registered here; a player who never started the bot in a
private chat is sent there; what a refusal of a player's own says is told to them alone (a
private message or a tap's alert); another player's is neutral."""

from __future__ import annotations

import asyncio
import logging
import uuid

from aiogram import Bot, F
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message, User
from dishka.integrations.aiogram import FromDishka, inject

from application.duels import (
    DuelistUnknown,
    FindDuelGroup,
    JoinLobby,
    LeaveLobby,
    LobbyPlayers,
    OpenLobby,
    OpenLobbyCommand,
    OpponentUnavailable,
    RecordDuelGroup,
    RecordLobbyRoll,
    RecordLobbyRollCommand,
    StartLobby,
)
from domain.duel_lobbies import (
    DEFAULT_LOBBY_SEATS,
    MAX_LOBBY_SEATS,
    MIN_LOBBY_SEATS,
    Lobby,
    LobbyState,
)
from domain.duels import DEFAULT_DUEL_GAME, DUEL_GAMES, DuelRules
from domain.errors import DomainError, IllegalTransition, InvalidAmount, InvalidRequest
from domain.money import XTR, Money
from entrypoints.bot.group_check import serves_duels
from entrypoints.bot.handlers.duel_lobbies_texts import (
    LobbyTap,
    SeatNames,
    lobby_buttons,
    open_text,
    result_text,
    started_text,
)
from entrypoints.bot.i18n import Translator, pick_language
from entrypoints.bot.refusals import refusal_text
from entrypoints.bot.routing import Handlers
from entrypoints.bot.settings import BotOptions

log = logging.getLogger(__name__)
handlers = Handlers("duel_lobbies")
# A lobby's id derives from the command's chat and message: a repeated update is the same lobby.
LOBBY_NAMESPACE = uuid.UUID("5d0e3c1a-8f4b-4a57-b2d9-7c4e91a06f23")
_IN_GROUPS = F.chat.type.in_((ChatType.GROUP, ChatType.SUPERGROUP))


def _translator(user: User | None) -> Translator:
    return Translator(pick_language(user.language_code if user else None))


def _name(user: User) -> str:
    return f"@{user.username}" if user.username else user.first_name


def _parse(args: str) -> tuple[Money, str, int] | None:
    """STAKE, then a game and a number of seats in either order, each optional."""
    words = args.split()
    if not 1 <= len(words) <= 3:
        return None
    try:
        stake = Money.parse(words[0], XTR).require_positive()
    except (InvalidAmount, InvalidRequest):
        return None
    game, seats = None, None
    for word in words[1:]:
        if word in DUEL_GAMES and game is None:
            game = word
        elif word.isdigit() and seats is None:
            seats = int(word)
        else:
            return None
    seats = DEFAULT_LOBBY_SEATS if seats is None else seats
    if not MIN_LOBBY_SEATS <= seats <= MAX_LOBBY_SEATS:
        return None
    return stake, game or DEFAULT_DUEL_GAME, seats


@handlers.message(_IN_GROUPS, Command("lobby"))
@inject
async def open_lobby(
    message: Message,
    command: CommandObject,
    bot: Bot,
    open_: FromDishka[OpenLobby],
    players: FromDishka[LobbyPlayers],
    rules: FromDishka[DuelRules],
    find_group: FromDishka[FindDuelGroup],
    record_group: FromDishka[RecordDuelGroup],
) -> None:
    opener = message.from_user
    if opener is None:
        return
    t = _translator(opener)
    # The same check as a duel's (entrypoints/bot/group_check.py): an old group is verified
    # on its first /duel or /lobby, and one that cannot be is refused with nothing recorded.
    if not await serves_duels(bot, message.chat, find_group, record_group):
        await message.reply(t("groups.unverified"))
        return
    parsed = _parse(command.args or "")
    if parsed is None:
        await message.reply(t("lobbies.usage"))
        return
    stake, game, seats = parsed
    lobby_id = uuid.uuid5(LOBBY_NAMESPACE, f"{message.chat.id}:{message.message_id}")
    try:
        lobby = await open_(
            OpenLobbyCommand(lobby_id, message.chat.id, opener.id, stake, game, seats)
        )
    except DomainError as error:
        await _refused(message, bot, t, error, opener)
        return
    names = SeatNames(t, lobby, await players(lobby))
    await message.reply(
        open_text(t, lobby, names, rules.accept_window), reply_markup=lobby_buttons(t, lobby.id)
    )


async def _refused(
    message: Message, bot: Bot, t: Translator, error: DomainError, opener: User
) -> None:
    if isinstance(error, DuelistUnknown):
        me = await bot.me()
        link = f"https://t.me/{me.username}?start=duel"
        await message.reply(t("duels.start_first", name=_name(opener), link=link))
    elif isinstance(error, InvalidRequest | IllegalTransition):
        await message.reply(t("lobbies.cannot", reason=refusal_text(t, error)))
    else:
        # The opener's own refusal (funds, a limit, a break): theirs alone to read.
        try:
            await bot.send_message(opener.id, refusal_text(t, error))
        except TelegramAPIError:
            log.info("could not tell player %s privately why their lobby was refused", opener.id)
        await message.reply(t("lobbies.refused_privately", name=_name(opener)))


def _tap_refusal(t: Translator, error: DomainError) -> str:
    if isinstance(error, DuelistUnknown):
        return t("duels.start_first_tap")
    if isinstance(error, OpponentUnavailable):
        return t("lobbies.unavailable_tap")
    if type(error) is IllegalTransition:  # not a subclass: those say who may do what
        return t("lobbies.gone")
    return refusal_text(t, error)  # the tapper's own refusal, in an alert only they see


@handlers.callback_query(LobbyTap.filter(F.action.in_({"join", "leave", "start"})))
@inject
async def tap(
    query: CallbackQuery,
    callback_data: LobbyTap,
    bot: Bot,
    join: FromDishka[JoinLobby],
    leave: FromDishka[LeaveLobby],
    start: FromDishka[StartLobby],
    players: FromDishka[LobbyPlayers],
    record: FromDishka[RecordLobbyRoll],
    rules: FromDishka[DuelRules],
    options: FromDishka[BotOptions],
) -> None:
    t = _translator(query.from_user)
    lobby_id, tapper = uuid.UUID(hex=callback_data.lobby), query.from_user.id
    try:
        if callback_data.action == "join":
            lobby = await join(lobby_id, tapper)
        elif callback_data.action == "leave":
            lobby = await leave(lobby_id, tapper)
        else:
            lobby = await start(lobby_id, tapper)
    except DomainError as error:
        await query.answer(_tap_refusal(t, error), show_alert=True)
        return
    await query.answer()
    message = query.message
    if not isinstance(message, Message):
        return
    names = SeatNames(t, lobby, await players(lobby))
    if lobby.state is LobbyState.OPEN:
        await message.edit_text(
            open_text(t, lobby, names, rules.accept_window),
            reply_markup=lobby_buttons(t, lobby.id),
        )
        return
    await message.edit_text(started_text(t, lobby, names), reply_markup=None)
    lobby = await _roll(bot, message.chat.id, lobby, record)
    # The values are known at once; the players see them when the animations have played.
    await asyncio.sleep(options.dice_delay)
    await bot.send_message(message.chat.id, result_text(t, lobby, names))


async def _roll(bot: Bot, chat_id: int, lobby: Lobby, record: RecordLobbyRoll) -> Lobby:
    """Send each seat's die in turn and record it, round after round, until the lobby ends.
    A die that cannot be sent leaves the lobby to the expiry job, which refunds it."""
    while (seat := lobby.seat_to_roll) is not None:
        try:
            thrown = await bot.send_dice(chat_id, emoji=lobby.game)
        except TelegramAPIError:
            log.exception("could not send a die for lobby %s", lobby.id)
            return lobby
        if thrown.dice is None:  # pragma: no cover - Telegram always answers with the dice
            return lobby
        lobby = await record(
            RecordLobbyRollCommand(
                lobby.id, lobby.round, seat, thrown.dice.value, thrown.message_id
            )
        )
    return lobby
