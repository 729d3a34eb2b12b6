"""What every step of a duel lobby shares with a duel's (`DuelBooks`: the players, their
standing and limits in player-id order, posting with its event) and adds: the lobby under its
lock, the escrow and bankroll of the opener's shard, a seat's stake, and the one road a
lobby's money leaves the escrow by (settlement or refund, in the step that ended it; the
settlement pays the group owner's share as a duel's does)."""

from __future__ import annotations

import uuid
from datetime import datetime

from application.duels.books import DuelBooks
from application.ports import UnitOfWork
from domain.accounts import AccountKind
from domain.duel_lobbies import Lobby, LobbySeat, LobbyState
from domain.duel_lobby_postings import lobby_refund, lobby_settlement, lobby_stake
from domain.errors import NotFound
from domain.ledger import PostedTransaction


class LobbyBooks(DuelBooks):
    async def _locked_lobby(self, uow: UnitOfWork, lobby_id: uuid.UUID) -> Lobby:
        lobby = await uow.lobbies.lock(lobby_id)
        if lobby is None:
            raise NotFound(f"no lobby {lobby_id}")
        return lobby

    async def _seen_lobby(self, uow: UnitOfWork, lobby_id: uuid.UUID) -> Lobby:
        lobby = await uow.lobbies.find(lobby_id)
        if lobby is None:
            raise NotFound(f"no lobby {lobby_id}")
        return lobby

    async def _lobby_escrow(self, uow: UnitOfWork, lobby: Lobby) -> int:
        # Every posting of a lobby uses the opener's shard (the opener holds seat 1 to the end).
        return await self._house.account_for(
            uow.accounts, AccountKind.DUEL_ESCROW, lobby.stake.currency, lobby.opener_id
        )

    async def _stake_seat(
        self, uow: UnitOfWork, lobby: Lobby, seat: LobbySeat, now: datetime
    ) -> None:
        wallet = await uow.accounts.open_wallet(seat.player_id, lobby.stake.currency)
        escrow = await self._lobby_escrow(uow, lobby)
        await self._post(
            uow,
            lobby_stake(lobby, seat, self._ids.new_id(), wallet=wallet.id, escrow=escrow, at=now),
        )

    async def _close_lobby(self, uow: UnitOfWork, lobby: Lobby, now: datetime) -> PostedTransaction:
        """`lobby` has just ended: saves it, then pays the winner, the house and the group
        owner's share when due (`_owner_wallet`, as a duel's settlement), or returns every
        seated stake."""
        await uow.lobbies.save(lobby)
        escrow = await self._lobby_escrow(uow, lobby)
        currency = lobby.stake.currency
        if lobby.state is LobbyState.SETTLED and lobby.winner_id is not None:
            owner = await self._owner_wallet(uow, lobby.chat_id, lobby.cut_split.owner, now)
            winner = await uow.accounts.open_wallet(lobby.winner_id, currency)
            bankroll = await self._house.account_for(
                uow.accounts, AccountKind.HOUSE_BANKROLL, currency, lobby.opener_id
            )
            return await self._post(
                uow,
                lobby_settlement(
                    lobby,
                    self._ids.new_id(),
                    escrow=escrow,
                    winner_wallet=winner.id,
                    bankroll=bankroll,
                    at=now,
                    owner_wallet=None if owner is None else owner[0],
                    owner_id=None if owner is None else owner[1],
                ),
            )
        wallets = {
            seat.number: (await uow.accounts.open_wallet(seat.player_id, currency)).id
            for seat in lobby.seated
        }
        return await self._post(
            uow, lobby_refund(lobby, self._ids.new_id(), escrow=escrow, wallets=wallets, at=now)
        )


class LobbyPlayers(LobbyBooks):
    """The seated players' Telegram usernames (None when a player has none), for the lobby's
    messages: a read, no lock, nothing written."""

    async def __call__(self, lobby: Lobby) -> dict[int, str | None]:
        async with self._uow() as uow:
            return {s.player_id: (await uow.players.get(s.player_id)).username for s in lobby.seats}
