"""An open duel lobby in a group chat: 2 to 10 players, one stake each, one Telegram dice game,
the highest value takes the pot less the house cut (docs/duels.md, "Lobbies").

It is a duel with N seats, on the duel's rules (`DuelRules`, `house_cut`, `DUEL_GAMES`, the
same escrow account): what differs is how players come in and how ties are broken.

    open ──start (the opener, ≥ 2 seats) or the last seat taken──▶ rolling ──decided──▶ settled
     │  ◀─join / leave (a seat, not the opener's)─┘                   └──ties past N──▶ refunded
     └──not started in time──▶ expired                └──not rolled in time──▶ refunded

Money follows the seats: each seat's stake goes into escrow when it is taken (one ledger
transaction each); a seat left before the start gets its stake back at once; the settlement
pays the winner the pot (every seated stake) less the cut, the cut to the house (less the group
owner's share, fixed on the lobby when it is opened, as on a duel); a refund returns every
seated stake.

The dice: round 1 rolls one die per seat, in seat order. The highest value wins. When two or
more seats share the highest value it is a tie, and the next round rolls only those seats
(the others have lost). After `max_ties` ties the next tie refunds every stake, the lost
seats' too: a lobby that cannot be decided is void, as a duel is (docs/duels.md explains the
choice).

A player takes one seat in a lobby and, once they left it, does not come back: a seat's
number (1, 2, …, in joining order) names its stake's ledger key, so a seat is staked once."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from domain.duels import (
    DEFAULT_OWNER_SHARE_BPS,
    DUEL_GAMES,
    CutSplit,
    DuelRules,
    NotYourDuel,
    check_duel_game,
    check_owner_share_bps,
    house_cut,
    split_cut,
)
from domain.errors import IllegalTransition, InvalidRequest
from domain.money import Money

MIN_LOBBY_SEATS: Final = 2
MAX_LOBBY_SEATS: Final = 10
DEFAULT_LOBBY_SEATS: Final = MAX_LOBBY_SEATS


class LobbyState(enum.StrEnum):
    OPEN = "open"
    ROLLING = "rolling"
    SETTLED = "settled"
    REFUNDED = "refunded"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self not in (LobbyState.OPEN, LobbyState.ROLLING)


class AlreadySeated(IllegalTransition):
    """The player has (or had, and left) a seat in this lobby."""

    code = "already_seated"


class NotTheOpener(NotYourDuel):
    """Only the opener starts a lobby."""

    code = "not_the_opener"


class NotSeated(NotYourDuel):
    """Only a seated player leaves a lobby."""

    code = "not_seated"


class OpenerStays(NotYourDuel):
    """The opener's seat is held until the lobby starts or expires."""

    code = "opener_stays"


class TooFewPlayers(IllegalTransition):
    code = "too_few_players"


@dataclass(frozen=True, slots=True)
class LobbySeat:
    number: int
    player_id: int
    joined_at: datetime
    left_at: datetime | None = None

    @property
    def seated(self) -> bool:
        return self.left_at is None


@dataclass(frozen=True, slots=True)
class LobbyRoll:
    round: int
    seat: int
    value: int
    message_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Lobby:
    id: uuid.UUID
    chat_id: int
    opener_id: int
    stake: Money
    game: str
    cut_bps: int
    max_ties: int
    max_seats: int
    state: LobbyState
    created_at: datetime
    # The start deadline while open; the roll deadline once rolling.
    deadline: datetime
    seats: tuple[LobbySeat, ...]
    rolls: tuple[LobbyRoll, ...] = ()
    winner_id: int | None = None
    finished_at: datetime | None = None
    # The group owner's share of the cut, fixed when the lobby is opened like the cut.
    owner_share_bps: int = DEFAULT_OWNER_SHARE_BPS

    def __post_init__(self) -> None:
        self.stake.require_positive()
        check_duel_game(self.game)
        check_owner_share_bps(self.owner_share_bps)
        if not MIN_LOBBY_SEATS <= self.max_seats <= MAX_LOBBY_SEATS:
            raise InvalidRequest(f"a lobby has {MIN_LOBBY_SEATS} to {MAX_LOBBY_SEATS} seats")
        # As for a duel: the smallest pot (two seats) must leave the winner more than their
        # stake; a bigger pot then does too (the cut is at most half of it).
        two = Money(self.stake.amount * MIN_LOBBY_SEATS, self.stake.currency)
        if self.cut_bps > 0 and house_cut(two, self.cut_bps).amount >= self.stake.amount:
            raise InvalidRequest(
                f"a stake of {self.stake} is too small: the house cut would take it all"
            )
        if [s.number for s in self.seats] != list(range(1, len(self.seats) + 1)):
            raise IllegalTransition("a lobby's seats are numbered 1, 2, … in joining order")
        if not self.seats or self.seats[0].player_id != self.opener_id or not self.seats[0].seated:
            raise IllegalTransition("the opener holds seat 1 until the lobby ends")
        if len({s.player_id for s in self.seats}) != len(self.seats):
            raise IllegalTransition("a player takes one seat in a lobby")
        if len(self.seated) > self.max_seats:
            raise IllegalTransition(f"lobby {self.id} has {self.max_seats} seats")
        if (self.winner_id is not None) != (self.state is LobbyState.SETTLED):
            raise IllegalTransition("a lobby has a winner exactly when it is settled")
        if self.winner_id is not None and self.winner_id not in self.players:
            raise IllegalTransition("the winner holds a seat")
        if (self.finished_at is not None) != self.state.is_final:
            raise IllegalTransition("a lobby has an end time exactly when it has ended")

    @classmethod
    def open(
        cls,
        lobby_id: uuid.UUID,
        *,
        chat_id: int,
        opener_id: int,
        stake: Money,
        game: str,
        max_seats: int,
        rules: DuelRules,
        now: datetime,
    ) -> Lobby:
        return cls(
            id=lobby_id,
            chat_id=chat_id,
            opener_id=opener_id,
            stake=stake,
            game=game,
            cut_bps=rules.cut_bps,
            max_ties=rules.max_ties,
            max_seats=max_seats,
            owner_share_bps=rules.owner_share_bps,
            state=LobbyState.OPEN,
            created_at=now,
            deadline=now + rules.accept_window,
            seats=(LobbySeat(1, opener_id, now),),
        )

    # -- seats and money ------------------------------------------------------------------

    @property
    def seated(self) -> tuple[LobbySeat, ...]:
        return tuple(s for s in self.seats if s.seated)

    @property
    def players(self) -> tuple[int, ...]:
        return tuple(s.player_id for s in self.seated)

    def seat_of(self, player_id: int) -> LobbySeat | None:
        return next((s for s in self.seats if s.player_id == player_id), None)

    def seat(self, number: int) -> LobbySeat:
        return self.seats[number - 1]

    @property
    def is_full(self) -> bool:
        return len(self.seated) >= self.max_seats

    @property
    def pot(self) -> Money:
        return Money(self.stake.amount * len(self.seated), self.stake.currency)

    @property
    def cut(self) -> Money:
        return house_cut(self.pot, self.cut_bps)

    @property
    def cut_split(self) -> CutSplit:
        """The cut between the house and the group's owner, as a duel's (`Duel.cut_split`): the
        owner's part is paid only to an owner who may receive it at the settlement."""
        return split_cut(self.cut, self.owner_share_bps)

    @property
    def prize(self) -> Money:
        return self.pot - self.cut

    @property
    def escrowed(self) -> Money:
        held = 0 if self.state.is_final else len(self.seated)
        return Money(self.stake.amount * held, self.stake.currency)

    # -- steps ----------------------------------------------------------------------------

    def _require_open(self, now: datetime) -> None:
        if self.state is not LobbyState.OPEN:
            raise IllegalTransition(f"lobby {self.id} is {self.state}")
        if now >= self.deadline:
            raise IllegalTransition(f"lobby {self.id} was not started in time")

    def join(self, player_id: int, now: datetime, roll_window: timedelta) -> Lobby:
        """A new seat for the player; the seat that fills the lobby starts it."""
        self._require_open(now)
        if self.seat_of(player_id) is not None:
            raise AlreadySeated(f"player {player_id} has had a seat in lobby {self.id}")
        if self.is_full:  # never open: the seat that fills a lobby starts it
            raise IllegalTransition(f"lobby {self.id} is full")
        seat = LobbySeat(len(self.seats) + 1, player_id, now)
        joined = replace(self, seats=(*self.seats, seat))
        if joined.is_full:
            return replace(joined, state=LobbyState.ROLLING, deadline=now + roll_window)
        return joined

    def leave(self, player_id: int, now: datetime) -> tuple[Lobby, LobbySeat]:
        """The player's seat given up before the start (its stake goes back); the opener's
        seat is held until the lobby starts or expires."""
        self._require_open(now)
        seat = self.seat_of(player_id)
        if seat is None or not seat.seated:
            raise NotSeated("only a seated player may leave this lobby")
        if seat.number == 1:
            raise OpenerStays("the opener's seat is held until the lobby starts or expires")
        left = replace(seat, left_at=now)
        seats = tuple(left if s.number == seat.number else s for s in self.seats)
        return replace(self, seats=seats), left

    def start(self, by: int, now: datetime, roll_window: timedelta) -> Lobby:
        if by != self.opener_id:
            raise NotTheOpener("only the opener may start this lobby")
        self._require_open(now)
        if len(self.seated) < MIN_LOBBY_SEATS:
            raise TooFewPlayers(f"lobby {self.id} needs {MIN_LOBBY_SEATS} players to start")
        return replace(self, state=LobbyState.ROLLING, deadline=now + roll_window)

    def is_overdue(self, now: datetime) -> bool:
        return not self.state.is_final and now >= self.deadline

    def expire(self, now: datetime) -> Lobby:
        """Past its deadline: expired when never started, refunded when not rolled out."""
        if not self.is_overdue(now):
            raise IllegalTransition(f"lobby {self.id} is {self.state}, not overdue")
        state = LobbyState.EXPIRED if self.state is LobbyState.OPEN else LobbyState.REFUNDED
        return replace(self, state=state, finished_at=now)

    # -- the dice -------------------------------------------------------------------------

    def _values(self, round_: int) -> dict[int, int]:
        return {r.seat: r.value for r in self.rolls if r.round == round_}

    def contenders(self, round_: int) -> tuple[int, ...]:
        """The seats that roll in this round: every seat in round 1, then the seats that
        shared the highest value of the round before."""
        if round_ == 1:
            return tuple(s.number for s in self.seated)
        before = self._values(round_ - 1)
        top = max(before.values(), default=0)
        return tuple(seat for seat in self.contenders(round_ - 1) if before.get(seat) == top)

    def _complete(self, round_: int) -> bool:
        return set(self._values(round_)) == set(self.contenders(round_))

    @property
    def round(self) -> int:
        """The round being rolled (or the last one, once the lobby is decided)."""
        last = max((r.round for r in self.rolls), default=0)
        if last == 0:
            return 1
        if self._complete(last) and self.state is LobbyState.ROLLING:
            return last + 1  # a complete round of a lobby still rolling was a tie
        return last

    @property
    def ties(self) -> int:
        last = max((r.round for r in self.rolls), default=0)
        return sum(
            1
            for number in range(1, last + 1)
            if self._complete(number) and len(self.contenders(number + 1)) > 1
        )

    @property
    def seat_to_roll(self) -> int | None:
        if self.state is not LobbyState.ROLLING:
            return None
        current = self.round
        rolled = self._values(current)
        return next((seat for seat in self.contenders(current) if seat not in rolled), None)

    def rolled(self, seat: int, round_: int) -> LobbyRoll | None:
        return next((r for r in self.rolls if r.seat == seat and r.round == round_), None)

    def record_roll(self, seat: int, value: int, message_id: int, now: datetime) -> Lobby:
        """The die the bot sent for `seat` in the round being rolled. When the round is
        complete: one highest value wins (settled); a shared one rolls those seats again, and
        the tie after `max_ties` refunds."""
        if self.state is not LobbyState.ROLLING:
            raise IllegalTransition(f"lobby {self.id} is {self.state}, not rolling")
        if seat != self.seat_to_roll:
            raise IllegalTransition(f"lobby {self.id} waits for seat {self.seat_to_roll}'s die")
        if not 1 <= value <= DUEL_GAMES[self.game]:
            raise InvalidRequest(f"{self.game} shows 1 to {DUEL_GAMES[self.game]}, not {value}")
        current = self.round
        die = LobbyRoll(current, seat, value, message_id, now)
        rolled = replace(self, rolls=(*self.rolls, die))
        if not rolled._complete(current):
            return rolled
        leaders = rolled.contenders(current + 1)
        if len(leaders) == 1:
            winner = rolled.seat(leaders[0]).player_id
            return replace(rolled, state=LobbyState.SETTLED, winner_id=winner, finished_at=now)
        if rolled.ties > self.max_ties:
            return replace(rolled, state=LobbyState.REFUNDED, finished_at=now)
        return rolled
