"""What a lobby's messages say and the buttons they carry: the open lobby with its seats and
numbers (➕ Join, ➖ Leave, ▶️ Start), the lobby under way, and the result (every round's dice
by seat, the pot, the cut, the winner's prize)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from domain.duel_lobbies import MIN_LOBBY_SEATS, Lobby, LobbyState
from entrypoints.bot.i18n import Translator


class LobbyTap(CallbackData, prefix="lobby"):
    action: str  # "join", "leave" or "start"
    lobby: str  # the lobby's id, 32 hex digits (the data stays under Telegram's 64 bytes)


def lobby_buttons(t: Translator, lobby_id: uuid.UUID) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t(f"lobbies.{action}"),
                    callback_data=LobbyTap(action=action, lobby=lobby_id.hex).pack(),
                )
                for action in ("join", "leave", "start")
            ]
        ]
    )


class SeatNames:
    """Each seat's name in the group: the player's @username, else "player N"."""

    def __init__(self, t: Translator, lobby: Lobby, usernames: Mapping[int, str | None]):
        self._names = {
            seat.number: f"@{usernames[seat.player_id]}"
            if usernames.get(seat.player_id)
            else t("lobbies.player", number=seat.number)
            for seat in lobby.seats
        }
        self._lobby = lobby

    def of(self, seat: int) -> str:
        return self._names[seat]

    def of_player(self, player_id: int) -> str:
        seat = self._lobby.seat_of(player_id)
        return "?" if seat is None else self._names[seat.number]

    def seated(self) -> str:
        return ", ".join(self._names[s.number] for s in self._lobby.seated)


def open_text(t: Translator, lobby: Lobby, names: SeatNames, window: timedelta) -> str:
    lines = [
        t(
            "lobbies.open",
            opener=names.of(1),
            game=lobby.game,
            stake=lobby.stake,
            seats=lobby.max_seats,
            minutes=max(1, int(window.total_seconds() // 60)),
        ),
        t(
            "lobbies.seats_line",
            count=len(lobby.seated),
            seats=lobby.max_seats,
            names=names.seated(),
        ),
    ]
    if len(lobby.seated) >= MIN_LOBBY_SEATS:
        # Alone, the opener would read a prize below their own stake: the pot shows from two.
        lines.append(t("lobbies.pot_line", pot=lobby.pot, cut=lobby.cut, prize=lobby.prize))
    return "\n".join(lines)


def started_text(t: Translator, lobby: Lobby, names: SeatNames) -> str:
    return t(
        "lobbies.started",
        game=lobby.game,
        count=len(lobby.seated),
        pot=lobby.pot,
        cut=lobby.cut,
        prize=lobby.prize,
        names=names.seated(),
    )


def result_text(t: Translator, lobby: Lobby, names: SeatNames) -> str:
    lines = []
    for number in sorted({roll.round for roll in lobby.rolls}):
        rolls = " · ".join(
            f"{names.of(seat)} {'–' if (r := lobby.rolled(seat, number)) is None else r.value}"
            for seat in lobby.contenders(number)
        )
        lines.append(t("lobbies.round", round=number, rolls=rolls))
    if lobby.state is LobbyState.SETTLED and lobby.winner_id is not None:
        winner = names.of_player(lobby.winner_id)
        lines.append(
            t("lobbies.won", winner=winner, prize=lobby.prize, pot=lobby.pot, cut=lobby.cut)
        )
    elif lobby.state is LobbyState.REFUNDED:  # its ties ran out (the expiry job says nothing)
        lines.append(t("lobbies.refunded_ties", ties=lobby.ties, stake=lobby.stake))
    else:
        lines.append(t("lobbies.unfinished"))
    return "\n".join(lines)
