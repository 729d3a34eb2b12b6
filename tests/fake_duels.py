"""In-memory duels (the adapter's rules: an id is inserted once, a final duel never steps
again), and the usage a duel adds to the responsible-gambling limits as the adapter sums it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from domain.duel_groups import DuelGroup, GroupDuelStats
from domain.duel_lobbies import Lobby, LobbyState
from domain.duel_lobby_postings import lobby_settlement_key
from domain.duels import Duel, DuelState
from domain.duels_collusion import PairRecord
from domain.duels_postings import duel_settlement_key
from domain.errors import IllegalTransition
from domain.money import Currency, Money

if TYPE_CHECKING:
    from tests.fakes import _State


class FakeDuels:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def add(self, duel: Duel) -> bool:
        if duel.id in self.s.duels:
            return False
        self.s.duels[duel.id] = duel
        return True

    async def find(self, duel_id: uuid.UUID) -> Duel | None:
        return self.s.duels.get(duel_id)

    async def lock(self, duel_id: uuid.UUID) -> Duel | None:
        return self.s.duels.get(duel_id)

    async def save(self, duel: Duel) -> None:
        stored = self.s.duels.get(duel.id)
        if stored is None or stored.state.is_final:
            raise IllegalTransition(f"duel {duel.id} cannot step")
        self.s.duels[duel.id] = duel

    async def overdue(self, now: datetime, limit: int) -> Sequence[uuid.UUID]:
        due = sorted(
            (d for d in self.s.duels.values() if d.is_overdue(now)), key=lambda d: d.deadline
        )
        return [d.id for d in due[:limit]]

    async def player_named(self, username: str) -> int | None:
        wanted = username.removeprefix("@").casefold()
        for player in sorted(self.s.players.values(), key=lambda p: p.id):
            if player.username is not None and player.username.casefold() == wanted:
                return player.id
        return None

    async def pair_record(self, a: int, b: int, since: datetime) -> PairRecord:
        played = [
            d
            for d in self.s.duels.values()
            if d.created_at >= since
            and d.state
            in (DuelState.ACCEPTED, DuelState.ROLLING, DuelState.SETTLED, DuelState.REFUNDED)
        ]
        # A lobby played by exactly two seats counts as a duel between them (the adapter's
        # rule); `players` is all the collusion counts read.
        played += [
            lob
            for lob in self.s.lobbies.values()
            if lob.created_at >= since
            and lob.state in (LobbyState.ROLLING, LobbyState.SETTLED, LobbyState.REFUNDED)
            and len(lob.players) == 2
        ]
        between = [d for d in played if set(d.players) == {a, b}]
        return PairRecord(
            a,
            b,
            len(between),
            sum(1 for d in between if d.winner_id == a),
            sum(1 for d in between if d.winner_id == b),
            sum(1 for d in played if a in d.players),
            sum(1 for d in played if b in d.players),
        )


class FakeDuelGroups:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def record(self, group: DuelGroup) -> None:
        self.s.duel_groups[group.chat_id] = group

    async def find(self, chat_id: int) -> DuelGroup | None:
        return self.s.duel_groups.get(chat_id)

    async def stats(self, chat_id: int) -> Sequence[GroupDuelStats]:
        """As the adapter sums them: duels and lobbies, the cut and the owner's part from the
        settlements."""
        sums: dict[str, list[int]] = {}
        currencies: dict[str, Currency] = {}
        for duel in self.s.duels.values():
            if duel.chat_id != chat_id or duel.state is not DuelState.SETTLED:
                continue
            _, posted = self.s.transactions[duel_settlement_key(duel.id)]
            metadata = posted.metadata
            code = duel.stake.currency.code
            currencies[code] = duel.stake.currency
            row = sums.setdefault(code, [0, 0, 0, 0, 0])
            row[0] += 1
            row[1] += duel.pot.amount
            row[2] += int(metadata["cut"] or 0)
            row[3] += int(metadata.get("owner_share") or 0)
        for lobby in self.s.lobbies.values():
            if lobby.chat_id != chat_id or lobby.state is not LobbyState.SETTLED:
                continue
            _, posted = self.s.transactions[lobby_settlement_key(lobby.id)]
            code = lobby.stake.currency.code
            currencies[code] = lobby.stake.currency
            row = sums.setdefault(code, [0, 0, 0, 0, 0])
            row[4] += 1
            row[1] += lobby.pot.amount
            row[2] += int(posted.metadata["cut"] or 0)
            row[3] += int(posted.metadata.get("owner_share") or 0)
        return [
            GroupDuelStats(
                settled=n,
                staked=Money(staked, currencies[code]),
                cut=Money(cut, currencies[code]),
                owner_share=Money(owner, currencies[code]),
                lobbies=lobbies,
            )
            for code, (n, staked, cut, owner, lobbies) in sorted(sums.items())
        ]


def duel_usage(
    state: _State, player_id: int, currency: Currency, since: datetime
) -> tuple[int, int]:
    """(stakes, prizes) of the player's duels and lobbies since then, as the adapter counts
    them."""
    stakes = prizes = 0
    for d in state.duels.values():
        if d.stake.currency != currency or d.created_at < since:
            continue
        challenger_in = d.challenger_id == player_id and d.state not in (
            DuelState.DECLINED,
            DuelState.EXPIRED,
            DuelState.REFUNDED,
        )
        challenged_in = d.challenged_id == player_id and d.state in (
            DuelState.ACCEPTED,
            DuelState.ROLLING,
            DuelState.SETTLED,
        )
        if challenger_in or challenged_in:
            stakes += d.stake.amount
        if d.winner_id == player_id:
            prizes += d.prize.amount
    # A lobby's seat counts from the join, not once left or the lobby refunded or expired;
    # the winner's prize against the loss (the adapter's rule, revision 0046).
    for lob in state.lobbies.values():
        if lob.stake.currency != currency:
            continue
        void = lob.state in (LobbyState.REFUNDED, LobbyState.EXPIRED)
        for seat in lob.seated:
            if seat.player_id == player_id and seat.joined_at >= since and not void:
                stakes += lob.stake.amount
        if lob.winner_id == player_id and lob.created_at >= since:
            prizes += lob.prize.amount
    return stakes, prizes


class FakeLobbies:
    """In-memory duel lobbies, with the adapter's rules (an id inserted once, a final lobby
    never steps again)."""

    def __init__(self, state: _State) -> None:
        self.s = state

    async def add(self, lobby: Lobby) -> bool:
        if lobby.id in self.s.lobbies:
            return False
        self.s.lobbies[lobby.id] = lobby
        return True

    async def find(self, lobby_id: uuid.UUID) -> Lobby | None:
        return self.s.lobbies.get(lobby_id)

    async def lock(self, lobby_id: uuid.UUID) -> Lobby | None:
        return self.s.lobbies.get(lobby_id)

    async def save(self, lobby: Lobby) -> None:
        stored = self.s.lobbies.get(lobby.id)
        if stored is None or stored.state.is_final:
            raise IllegalTransition(f"lobby {lobby.id} cannot step")
        self.s.lobbies[lobby.id] = lobby

    async def overdue(self, now: datetime, limit: int) -> Sequence[uuid.UUID]:
        due = sorted(
            (lob for lob in self.s.lobbies.values() if lob.is_overdue(now)),
            key=lambda lob: lob.deadline,
        )
        return [lob.id for lob in due[:limit]]
