"""A duel lobby's seats (docs/duels.md, "Lobbies"): `OpenLobby` (the opener's seat and stake),
`JoinLobby` (a seat and its stake; the seat that fills the lobby starts it), `LeaveLobby` (a
seat given up before the start, its stake back) and `StartLobby` (the opener starts with two
seats or more).

Every seated player's standing is checked at a join and at the start, as a duel's accept
checks both players': the player whose stake moves gets the responsible-gambling guard's whole
bet check, every other seated player their standing (a blocked player or one on a break keeps
the lobby from being joined or started; it then expires and every stake goes back).

Locks: the lobby's row lock first, then the guard's (in player-id order), then the ledger's.
(A duel takes the guard's before its own row; nothing takes a lobby's row after a guard's lock,
so no cycle.) Taking the lobby first means the seats checked are the seats that play: two joins
for the last seat, a double Start, a join against the Start or the expiry job are decided one
after the other, and each seat's stake has its own key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from application.duels.books import RuledDuelBooks
from application.duels.lobby_books import LobbyBooks
from domain.duel_lobbies import DEFAULT_LOBBY_SEATS, Lobby
from domain.duel_lobby_postings import lobby_leave
from domain.duels import DUEL_GAME_CODES, check_duel_game
from domain.errors import IllegalTransition, InvalidRequest
from domain.money import Money


@dataclass(frozen=True, slots=True)
class OpenLobbyCommand:
    """`lobby_id` is the caller's key (the bot derives it from the chat and the command's
    message, so a repeated update opens no second lobby)."""

    lobby_id: uuid.UUID
    chat_id: int
    opener_telegram_id: int
    stake: Money
    game: str
    max_seats: int = DEFAULT_LOBBY_SEATS


class OpenLobby(RuledDuelBooks, LobbyBooks):
    async def __call__(self, command: OpenLobbyCommand) -> Lobby:
        check_duel_game(command.game)
        command.stake.require_positive()
        now = self._clock.now()
        async with self._uow() as uow:
            existing = await uow.lobbies.find(command.lobby_id)
            if existing is not None:
                return existing  # the same command again: the lobby it opened
            opener = await self._player_of(uow, command.opener_telegram_id)
            lobby = Lobby.open(
                command.lobby_id,
                chat_id=command.chat_id,
                opener_id=opener,
                stake=command.stake,
                game=command.game,
                max_seats=command.max_seats,
                rules=self._rules,
                now=now,
            )
            game = await uow.games.get(DUEL_GAME_CODES[lobby.game])
            game.limits_for(lobby.stake.currency.code).check_stake(lobby.stake)
            await self._check_players(
                uow, (opener,), actor=opener, staking=opener, stake=lobby.stake, now=now
            )
            if not await uow.lobbies.add(lobby):
                found = await uow.lobbies.find(command.lobby_id)
                if found is None:
                    raise InvalidRequest(f"lobby {command.lobby_id} could not be opened")
                return found
            await self._stake_seat(uow, lobby, lobby.seat(1), now)
            await uow.commit()
            return lobby


class JoinLobby(RuledDuelBooks, LobbyBooks):
    async def __call__(self, lobby_id: uuid.UUID, telegram_user_id: int) -> Lobby:
        now = self._clock.now()
        async with self._uow() as uow:
            player = await self._player_of(uow, telegram_user_id)
            current = await self._locked_lobby(uow, lobby_id)
            joined = current.join(player, now, self._rules.roll_window)
            await self._check_players(
                uow, joined.players, actor=player, staking=player, stake=joined.stake, now=now
            )
            await uow.lobbies.save(joined)
            seat = joined.seat_of(player)
            if seat is None:  # pragma: no cover - join gave the player a seat
                raise IllegalTransition(f"no seat for player {player}")
            await self._stake_seat(uow, joined, seat, now)
            await uow.commit()
            return joined


class LeaveLobby(LobbyBooks):
    async def __call__(self, lobby_id: uuid.UUID, telegram_user_id: int) -> Lobby:
        now = self._clock.now()
        async with self._uow() as uow:
            player = await self._player_of(uow, telegram_user_id)
            current = await self._locked_lobby(uow, lobby_id)
            left, seat = current.leave(player, now)
            await uow.lobbies.save(left)
            wallet = await uow.accounts.open_wallet(player, left.stake.currency)
            escrow = await self._lobby_escrow(uow, left)
            await self._post(
                uow,
                lobby_leave(
                    left, seat, self._ids.new_id(), wallet=wallet.id, escrow=escrow, at=now
                ),
            )
            await uow.commit()
            return left


class StartLobby(RuledDuelBooks, LobbyBooks):
    async def __call__(self, lobby_id: uuid.UUID, telegram_user_id: int) -> Lobby:
        now = self._clock.now()
        async with self._uow() as uow:
            player = await self._player_of(uow, telegram_user_id)
            current = await self._locked_lobby(uow, lobby_id)
            started = current.start(player, now, self._rules.roll_window)
            await self._check_players(
                uow, started.players, actor=player, staking=None, stake=started.stake, now=now
            )
            await uow.lobbies.save(started)
            await uow.commit()
            return started
