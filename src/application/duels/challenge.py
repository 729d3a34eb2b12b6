"""A player challenges another in a group chat: the duel is made and the challenger's stake
goes into escrow at once (docs/duels.md, "Why the challenger pays at the challenge": the
stake cannot be spent elsewhere while the other player decides, and an accept then needs
only the accepting player's money)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from application.duels.books import RuledDuelBooks
from application.duels.errors import DuelistUnknown
from application.ports import UnitOfWork
from domain.duels import DUEL_GAME_CODES, Duel, Seat, check_duel_game
from domain.errors import InvalidRequest
from domain.money import Money


@dataclass(frozen=True, slots=True)
class ChallengeDuelCommand:
    """`duel_id` is the caller's key for this challenge (the bot derives it from the chat and
    the command's message, so a repeated update makes no second duel). The challenged player
    is named by their Telegram id (a reply, a text mention) or their username."""

    duel_id: uuid.UUID
    chat_id: int
    challenger_telegram_id: int
    stake: Money
    game: str
    challenged_telegram_id: int | None = None
    challenged_username: str | None = None


class ChallengeDuel(RuledDuelBooks):
    async def __call__(self, command: ChallengeDuelCommand) -> Duel:
        check_duel_game(command.game)
        command.stake.require_positive()
        now = self._clock.now()
        async with self._uow() as uow:
            existing = await uow.duels.find(command.duel_id)
            if existing is not None:
                return existing  # the same command again: the duel it made
            challenger = await self._player_of(uow, command.challenger_telegram_id)
            challenged = await self._challenged(uow, command)
            duel = Duel.challenge(
                command.duel_id,
                chat_id=command.chat_id,
                challenger_id=challenger,
                challenged_id=challenged,
                stake=command.stake,
                game=command.game,
                rules=self._rules,
                now=now,
            )
            game = await uow.games.get(DUEL_GAME_CODES[duel.game])
            game.limits_for(duel.stake.currency.code).check_stake(duel.stake)
            await self._check_players(
                uow, duel.players, actor=challenger, staking=challenger, stake=duel.stake, now=now
            )
            if not await uow.duels.add(duel):
                # A twin of this command committed meanwhile (the insert waited for it, so this
                # read sees it): answer with its duel.
                found = await uow.duels.find(command.duel_id)
                if found is None:
                    raise InvalidRequest(f"duel {command.duel_id} could not be made")
                return found
            await self._stake(uow, duel, Seat.CHALLENGER, now)
            await uow.commit()
            return duel

    async def _challenged(self, uow: UnitOfWork, command: ChallengeDuelCommand) -> int:
        if command.challenged_telegram_id is not None:
            return await self._player_of(uow, command.challenged_telegram_id)
        if not command.challenged_username:
            raise InvalidRequest("name the player to duel: @username, or reply to their message")
        found = await uow.duels.player_named(command.challenged_username)
        if found is None:
            raise DuelistUnknown(
                "that player has not started the bot",
                telegram_user_id=None,
                username=command.challenged_username,
            )
        return found
