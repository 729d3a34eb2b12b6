"""A duel in a group chat: two players, one stake each, one Telegram dice game, the higher
value takes the pot less the house cut (docs/duels.md).

The road, state by state:

    challenged ──accept──▶ accepted ──first roll──▶ rolling ──decided──▶ settled
        │   └──decline──▶ declined        │                    └──ties past N──▶ refunded
        └──not accepted in time──▶ expired └─────not rolled in time─────▶ refunded

Money follows the states (`escrowed`): the challenger's stake is held in escrow from the
challenge (so it cannot be spent twice while the challenged player decides), the challenged
player's from the accept; a settlement pays the winner the pot less the cut and the house the
cut; a refund (declined, expired, refunded) returns every stake held. Every state past
`rolling` is final.

The rules in numbers (`DuelRules`): the cut is `cut_bps` basis points of the pot, rounded UP to
a whole minor unit (in the house's favour: 5% of a 30 ⭐ pot is 1.5 ⭐, the cut is 2 ⭐, the
winner gets 28 ⭐); a stake whose cut would reach the stake itself is refused (the winner
always ends up with more than they staked). A round where both dice show the same value is a
tie: the players roll again, at most `max_ties` times; the tie after that refunds both."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from domain.errors import IllegalTransition, InvalidRequest
from domain.money import Money

# The games a duel is played with, and the highest value Telegram gives for each
# (docs/duels.md, "Who wins"). The value is compared as Telegram gives it: for 🏀 and ⚽ a 5
# beats a 4 though both score, for 🎯 a 6 is the bullseye and a 1 a miss.
DUEL_GAMES: Final = {"🎲": 6, "🎯": 6, "🏀": 5, "⚽": 5, "🎳": 6}
# The Telegram dice game of the same die: a duel's stake keeps within that game's stake limits
# in its currency, and a game switched off (or not offered in the currency) has no duels
# either: the operator bounds duels where they bound the die's bets.
DUEL_GAME_CODES: Final = {
    "🎲": "tg_dice",
    "🎯": "tg_darts",
    "🏀": "tg_basketball",
    "⚽": "tg_football",
    "🎳": "tg_bowling",
}
DEFAULT_DUEL_GAME: Final = "🎲"

# Policy defaults (the settings override them: entrypoints/settings/duels.py).
DEFAULT_CUT_BPS: Final = 500
DEFAULT_MAX_TIES: Final = 3
DEFAULT_ACCEPT_WINDOW: Final = timedelta(minutes=5)
DEFAULT_ROLL_WINDOW: Final = timedelta(minutes=5)
MAX_CUT_BPS: Final = 5_000
MAX_TIES_LIMIT: Final = 10
# The group owner's share is basis points OF THE CUT (not of the pot): 10000 gives the owner
# the whole cut, 0 (the default) none (docs/duels.md, "The group owner's share").
DEFAULT_OWNER_SHARE_BPS: Final = 0
MAX_OWNER_SHARE_BPS: Final = 10_000
_BPS: Final = 10_000


class DuelState(enum.StrEnum):
    CHALLENGED = "challenged"
    ACCEPTED = "accepted"
    ROLLING = "rolling"
    SETTLED = "settled"
    REFUNDED = "refunded"
    DECLINED = "declined"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self in _FINAL

    @property
    def escrowed_stakes(self) -> int:
        """How many stakes the escrow holds for a duel in this state."""
        return _ESCROWED.get(self, 0)


_FINAL: Final = frozenset(
    {DuelState.SETTLED, DuelState.REFUNDED, DuelState.DECLINED, DuelState.EXPIRED}
)
_ESCROWED: Final = {DuelState.CHALLENGED: 1, DuelState.ACCEPTED: 2, DuelState.ROLLING: 2}


class NotYourDuel(IllegalTransition):
    """Someone other than the challenged player answered a challenge."""

    code = "not_your_duel"


class Seat(enum.StrEnum):
    """Who rolls: the challenger rolls first in every round."""

    CHALLENGER = "challenger"
    CHALLENGED = "challenged"


def check_duel_game(game: str) -> str:
    if game not in DUEL_GAMES:
        raise InvalidRequest(f"a duel is played with one of {' '.join(DUEL_GAMES)}")
    return game


@dataclass(frozen=True, slots=True)
class DuelRules:
    """The house's terms, fixed on a duel when it is made (a change of settings never touches
    a duel in play)."""

    cut_bps: int = DEFAULT_CUT_BPS
    max_ties: int = DEFAULT_MAX_TIES
    accept_window: timedelta = DEFAULT_ACCEPT_WINDOW
    roll_window: timedelta = DEFAULT_ROLL_WINDOW
    owner_share_bps: int = DEFAULT_OWNER_SHARE_BPS

    def __post_init__(self) -> None:
        if not 0 <= self.cut_bps <= MAX_CUT_BPS:
            raise InvalidRequest(f"the house cut is 0 to {MAX_CUT_BPS} basis points")
        check_owner_share_bps(self.owner_share_bps)
        if not 0 <= self.max_ties <= MAX_TIES_LIMIT:
            raise InvalidRequest(f"a duel rolls again after a tie 0 to {MAX_TIES_LIMIT} times")
        if self.accept_window <= timedelta(0) or self.roll_window <= timedelta(0):
            raise InvalidRequest("a duel's windows are positive")


def house_cut(pot: Money, cut_bps: int) -> Money:
    """`cut_bps` of the pot, rounded up to a whole minor unit (in the house's favour)."""
    return Money(-(-pot.amount * cut_bps // _BPS), pot.currency)


def check_owner_share_bps(owner_share_bps: int) -> int:
    if not 0 <= owner_share_bps <= MAX_OWNER_SHARE_BPS:
        raise InvalidRequest(
            f"the group owner's share is 0 to {MAX_OWNER_SHARE_BPS} basis points of the cut"
        )
    return owner_share_bps


@dataclass(frozen=True, slots=True)
class CutSplit:
    """The cut of one duel, split between the house and the group's owner. The two parts
    always add up to the cut."""

    house: Money
    owner: Money


def split_cut(cut: Money, owner_share_bps: int) -> CutSplit:
    """The owner's part is `owner_share_bps` of the cut rounded DOWN to a whole minor unit,
    the house keeps the rest (rounding in the house's favour: 25% of a 1 ⭐ cut is 0 ⭐ to the
    owner, 1 ⭐ to the house; 50% of a 3 ⭐ cut is 1 ⭐ and 2 ⭐)."""
    check_owner_share_bps(owner_share_bps)
    owner = Money(cut.amount * owner_share_bps // _BPS, cut.currency)
    return CutSplit(house=cut - owner, owner=owner)


@dataclass(frozen=True, slots=True)
class Roll:
    """One die the bot sent for one seat in one round (round 1, 2, … : a tie adds a round)."""

    round: int
    seat: Seat
    value: int
    message_id: int
    at: datetime

    def __post_init__(self) -> None:
        if self.round < 1:
            raise InvalidRequest("rounds count from 1")


@dataclass(frozen=True, slots=True)
class Duel:
    id: uuid.UUID
    chat_id: int
    challenger_id: int
    challenged_id: int
    stake: Money
    game: str
    cut_bps: int
    max_ties: int
    state: DuelState
    created_at: datetime
    # The accept deadline while challenged; the roll deadline once accepted.
    deadline: datetime
    rolls: tuple[Roll, ...] = ()
    winner_id: int | None = None
    finished_at: datetime | None = None
    # Basis points of the cut the group's owner gets (fixed when the duel is made, like the
    # cut; docs/duels.md, "The group owner's share").
    owner_share_bps: int = DEFAULT_OWNER_SHARE_BPS

    def __post_init__(self) -> None:
        self.stake.require_positive()
        check_duel_game(self.game)
        check_owner_share_bps(self.owner_share_bps)
        if self.challenger_id == self.challenged_id:
            raise InvalidRequest("a player cannot duel themselves")
        if self.cut.amount >= self.stake.amount and self.cut_bps > 0:
            raise InvalidRequest(
                f"a stake of {self.stake} is too small: the house cut would take it all"
            )
        if (self.winner_id is not None) != (self.state is DuelState.SETTLED):
            raise IllegalTransition("a duel has a winner exactly when it is settled")
        if self.winner_id is not None and self.winner_id not in self.players:
            raise IllegalTransition("the winner is one of the two players")
        if (self.finished_at is not None) != self.state.is_final:
            raise IllegalTransition("a duel has an end time exactly when it has ended")

    @classmethod
    def challenge(
        cls,
        duel_id: uuid.UUID,
        *,
        chat_id: int,
        challenger_id: int,
        challenged_id: int,
        stake: Money,
        game: str,
        rules: DuelRules,
        now: datetime,
    ) -> Duel:
        return cls(
            id=duel_id,
            chat_id=chat_id,
            challenger_id=challenger_id,
            challenged_id=challenged_id,
            stake=stake,
            game=game,
            cut_bps=rules.cut_bps,
            max_ties=rules.max_ties,
            state=DuelState.CHALLENGED,
            created_at=now,
            deadline=now + rules.accept_window,
            owner_share_bps=rules.owner_share_bps,
        )

    # -- money ----------------------------------------------------------------------------

    @property
    def players(self) -> tuple[int, int]:
        return (self.challenger_id, self.challenged_id)

    @property
    def pot(self) -> Money:
        return Money(self.stake.amount * 2, self.stake.currency)

    @property
    def cut(self) -> Money:
        return house_cut(self.pot, self.cut_bps)

    @property
    def cut_split(self) -> CutSplit:
        """The cut between the house and the group's owner, at most: the owner's part is paid
        only to an owner who may receive it at the settlement (application/duels/settle.py)."""
        return split_cut(self.cut, self.owner_share_bps)

    @property
    def prize(self) -> Money:
        """What the winner receives: the pot less the cut."""
        return self.pot - self.cut

    @property
    def escrowed(self) -> Money:
        return Money(self.stake.amount * self.state.escrowed_stakes, self.stake.currency)

    def player_at(self, seat: Seat) -> int:
        return self.challenger_id if seat is Seat.CHALLENGER else self.challenged_id

    # -- steps ----------------------------------------------------------------------------

    def _require(self, *states: DuelState) -> None:
        if self.state not in states:
            raise IllegalTransition(f"duel {self.id} is {self.state}")

    def accept(self, by: int, now: datetime, roll_window: timedelta) -> Duel:
        if by != self.challenged_id:
            raise NotYourDuel("only the challenged player may accept this duel")
        self._require(DuelState.CHALLENGED)
        if now >= self.deadline:
            raise IllegalTransition(f"duel {self.id} was not accepted in time")
        return replace(self, state=DuelState.ACCEPTED, deadline=now + roll_window)

    def decline(self, by: int, now: datetime) -> Duel:
        if by != self.challenged_id:
            raise NotYourDuel("only the challenged player may decline this duel")
        self._require(DuelState.CHALLENGED)
        return replace(self, state=DuelState.DECLINED, finished_at=now)

    def is_overdue(self, now: datetime) -> bool:
        return not self.state.is_final and now >= self.deadline

    def expire(self, now: datetime) -> Duel:
        """A duel past its deadline: expired when never accepted, refunded when not rolled."""
        if not self.is_overdue(now):
            raise IllegalTransition(f"duel {self.id} is {self.state}, not overdue")
        if self.state is DuelState.CHALLENGED:
            return replace(self, state=DuelState.EXPIRED, finished_at=now)
        return replace(self, state=DuelState.REFUNDED, finished_at=now)

    @property
    def round(self) -> int:
        """The round being rolled (or the last one, once the duel is decided)."""
        last = max((roll.round for roll in self.rolls), default=0)
        if last == 0:
            return 1
        complete = sum(1 for roll in self.rolls if roll.round == last) == 2
        # A complete round of a duel still rolling was a tie: the next round is under way.
        return last + 1 if complete and self.state is DuelState.ROLLING else last

    @property
    def ties(self) -> int:
        rounds: dict[int, list[int]] = {}
        for roll in self.rolls:
            rounds.setdefault(roll.round, []).append(roll.value)
        return sum(1 for values in rounds.values() if len(values) == 2 and values[0] == values[1])

    @property
    def seat_to_roll(self) -> Seat | None:
        """The seat whose die the bot sends next, or None when the duel is not rolling."""
        if self.state not in (DuelState.ACCEPTED, DuelState.ROLLING):
            return None
        current = self.round
        seats = {roll.seat for roll in self.rolls if roll.round == current}
        return Seat.CHALLENGER if Seat.CHALLENGER not in seats else Seat.CHALLENGED

    def record_roll(self, seat: Seat, value: int, message_id: int, now: datetime) -> Duel:
        """The die the bot sent for `seat`, in the round being rolled. Deciding the round:
        the higher value wins (settled); a tie rolls again, and the tie after `max_ties`
        refunds. Raises `IllegalTransition` for a seat out of turn."""
        if self.state not in (DuelState.ACCEPTED, DuelState.ROLLING):
            raise IllegalTransition(f"duel {self.id} is {self.state}, not rolling")
        if seat is not self.seat_to_roll:
            raise IllegalTransition(f"duel {self.id} waits for the {self.seat_to_roll}'s die")
        if not 1 <= value <= DUEL_GAMES[self.game]:
            raise InvalidRequest(f"{self.game} shows 1 to {DUEL_GAMES[self.game]}, not {value}")
        roll = Roll(self.round, seat, value, message_id, now)
        rolled = replace(self, state=DuelState.ROLLING, rolls=(*self.rolls, roll))
        if seat is Seat.CHALLENGER:
            return rolled
        first = rolled.rolled(Seat.CHALLENGER, roll.round)
        if first is None:  # the turn check above makes the challenger's die come first
            raise IllegalTransition(f"duel {self.id} has no challenger's die this round")
        if first.value == value:
            if rolled.ties > self.max_ties:
                return replace(rolled, state=DuelState.REFUNDED, finished_at=now)
            return rolled
        winner = Seat.CHALLENGER if first.value > value else Seat.CHALLENGED
        return replace(
            rolled,
            state=DuelState.SETTLED,
            winner_id=self.player_at(winner),
            finished_at=now,
        )

    def rolled(self, seat: Seat, round_: int) -> Roll | None:
        return next((r for r in self.rolls if r.seat is seat and r.round == round_), None)
