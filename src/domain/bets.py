"""A bet and its life: placed, then won, lost or voided, exactly once.

The ledger side of each step is built here too, so the rules for who pays whom live in one
place: placing moves the stake from the wallet to bets in play; a settlement moves it on to
the player (with the rest of the win from the bankroll) or to the bankroll; a void returns it."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from fractions import Fraction
from types import MappingProxyType

from domain.errors import IdempotencyConflict, IllegalTransition, InvalidRequest, LimitExceeded
from domain.games.base import Game, OutcomeSource, Selection, SteppedGame, format_multiplier
from domain.games.catalog import GameConfig, payout_for
from domain.ledger import Leg
from domain.money import Money

MAX_VOID_REASON_LENGTH = 500


class BetState(enum.StrEnum):
    PLACED = "placed"
    WON = "won"
    LOST = "lost"
    VOIDED = "voided"

    @property
    def is_final(self) -> bool:
        return self is not BetState.PLACED


@dataclass(frozen=True, slots=True)
class FairnessProof:
    """Everything a public verifier needs, once the server seed is revealed."""

    seed_pair_id: int
    nonce: int
    server_seed_hash: str
    client_seed: str


@dataclass(frozen=True, slots=True)
class DiceThrow:
    """The dice message the bot sent for this bet; its value is the outcome."""

    chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class Bet:
    id: uuid.UUID
    player_id: int
    game: str
    selection: Selection
    stake: Money
    # Fixed when the bet is placed, so a later configuration change cannot alter its payout.
    house_edge: Fraction
    max_payout: int
    state: BetState
    placed_at: datetime
    placed_transaction_id: uuid.UUID
    params: Mapping[str, str] = field(default_factory=dict)
    fairness: FairnessProof | None = None
    dice: DiceThrow | None = None
    outcome: int | None = None
    multiplier: Fraction | None = None
    payout: int | None = None
    settled_at: datetime | None = None
    settlement_transaction_id: uuid.UUID | None = None
    void_reason: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        settled = self.state in (BetState.WON, BetState.LOST)
        if settled != (self.outcome is not None and self.payout is not None):
            raise IllegalTransition(f"bet {self.id}: a {self.state} bet has outcome xor payout")
        if self.state.is_final != (self.settlement_transaction_id is not None):
            raise IllegalTransition(f"bet {self.id}: a {self.state} bet's settlement is wrong")

    @classmethod
    def place(
        cls,
        *,
        bet_id: uuid.UUID,
        player_id: int,
        config: GameConfig,
        params: Mapping[str, str],
        stake: Money,
        placed_at: datetime,
        transaction_id: uuid.UUID,
        fairness: FairnessProof | None = None,
    ) -> Bet:
        """A new bet after every per-bet limit: the game is on and offered in the currency,
        the stake within bounds, and the largest possible payout within the cap."""
        stake.require_positive()
        game = config.game
        selection = game.parse(params)
        limits = config.limits_for(stake.currency.code)
        if isinstance(game, SteppedGame):
            # Capped, not refused: the steps beyond the limit are refused while it plays.
            steps = game.step_multipliers(selection, config.house_edge)
            max_payout = limits.check_steps(stake, steps, game.step_name)
        else:
            max_payout = limits.check(stake, game.max_multiplier(selection, config.house_edge))
        if (game.source is OutcomeSource.PROVABLY_FAIR) != (fairness is not None):
            raise InvalidRequest(f"{game.code} outcomes come from {game.source}")
        return cls(
            id=bet_id,
            player_id=player_id,
            game=game.code,
            selection=selection,
            params=game.params(selection),
            stake=stake,
            house_edge=config.house_edge,
            max_payout=max_payout,
            state=BetState.PLACED,
            placed_at=placed_at,
            placed_transaction_id=transaction_id,
            fairness=fairness,
        )

    def pays_within_limit(self, multiplier: Fraction) -> bool:
        """Whether stopping at `multiplier` pays no more than this bet's largest payout (the
        game's payout limit when it was placed, for a bet played in steps)."""
        return payout_for(self.stake.amount, multiplier) <= self.max_payout

    @property
    def max_net_loss_to_house(self) -> int:
        """What the bankroll must be able to cover if this bet wins its best outcome."""
        return max(0, self.max_payout - self.stake.amount)

    def check_bankroll(self, bankroll: int) -> None:
        if self.max_net_loss_to_house > bankroll:
            raise LimitExceeded(
                f"the house cannot cover a win of {Money(self.max_payout, self.stake.currency)} "
                "right now; try a smaller stake",
                rule="bankroll",
                limit=Money(self.max_payout, self.stake.currency),
            )

    def same_request(self, game: str, params: Mapping[str, str], stake: Money, player: int) -> bool:
        """Whether a repeated placement under this bet's id asks for the same bet."""
        return (
            self.game == game
            and self.player_id == player
            and self.stake == stake
            and dict(self.params) == dict(params)
        )

    def require_same_request(
        self, game: Game, params: Mapping[str, str], stake: Money, player: int
    ) -> None:
        canonical = game.params(game.parse(params))
        if not self.same_request(game.code, canonical, stake, player):
            raise IdempotencyConflict(
                f"bet {self.id} was already placed with different content "
                f"({self.game} {dict(self.params)} for {self.stake})"
            )

    # -- transitions ---------------------------------------------------------------------

    def settle(self, game: Game, outcome: int, *, at: datetime, transaction_id: uuid.UUID) -> Bet:
        if self.state is not BetState.PLACED:
            raise IllegalTransition(f"bet {self.id} is {self.state}; only a placed bet settles")
        if game.code != self.game:
            raise InvalidRequest(f"bet {self.id} is a {self.game} bet, not {game.code}")
        multiplier = game.multiplier(self.selection, outcome, self.house_edge)
        payout = payout_for(self.stake.amount, multiplier)
        if payout > self.max_payout:  # its limits were checked when it was placed
            raise LimitExceeded(
                f"bet {self.id} would pay {Money(payout, self.stake.currency)}, over its "
                f"largest payout {Money(self.max_payout, self.stake.currency)}"
            )
        # The constructor with every field named, not `dataclasses.replace` (which looks each
        # field up by name and was ~5% of a batched bet's service time); a field added to Bet
        # is added here too (tests/unit/test_bets.py compares the two for every game).
        return Bet(
            id=self.id,
            player_id=self.player_id,
            game=self.game,
            selection=self.selection,
            stake=self.stake,
            house_edge=self.house_edge,
            max_payout=self.max_payout,
            state=BetState.WON if payout > 0 else BetState.LOST,
            placed_at=self.placed_at,
            placed_transaction_id=self.placed_transaction_id,
            params=self.params,
            fairness=self.fairness,
            dice=self.dice,
            outcome=outcome,
            multiplier=multiplier,
            payout=payout,
            settled_at=at,
            settlement_transaction_id=transaction_id,
            void_reason=self.void_reason,
        )

    def void(self, reason: str, *, at: datetime, transaction_id: uuid.UUID) -> Bet:
        reason = reason.strip()
        if not reason:
            raise InvalidRequest("voiding a bet needs a reason")
        if len(reason) > MAX_VOID_REASON_LENGTH:
            raise InvalidRequest(f"a void reason is at most {MAX_VOID_REASON_LENGTH} characters")
        if self.state is not BetState.PLACED:
            raise IllegalTransition(f"bet {self.id} is {self.state}; only a placed bet is voided")
        return replace(
            self,
            state=BetState.VOIDED,
            settled_at=at,
            settlement_transaction_id=transaction_id,
            void_reason=reason,
        )

    # -- the ledger side -------------------------------------------------------------------

    def placement_legs(self, wallet: int, bets_in_play: int) -> tuple[Leg, ...]:
        return (Leg(wallet, -self.stake), Leg(bets_in_play, self.stake))

    def settlement_legs(self, wallet: int, bets_in_play: int, bankroll: int) -> tuple[Leg, ...]:
        """The stake leaves bets in play; the player gets the payout; the bankroll takes or
        gives the difference."""
        if self.state is BetState.VOIDED:
            return (Leg(bets_in_play, -self.stake), Leg(wallet, self.stake))
        if self.payout is None:
            raise IllegalTransition(f"bet {self.id} is not settled")
        currency = self.stake.currency
        legs = [Leg(bets_in_play, -self.stake)]
        if self.payout:
            legs.append(Leg(wallet, Money(self.payout, currency)))
        house_delta = self.stake.amount - self.payout
        if house_delta:
            legs.append(Leg(bankroll, Money(house_delta, currency)))
        return tuple(legs)

    @property
    def posted_at_once(self) -> bool:
        """Whether the bet's placement and settlement are one ledger transaction (a bet settled
        in the unit of work that placed it, on a road that checked its funds first): its
        `instant_legs`, net, with the gross stake and payout kept on the bet."""
        return self.settlement_transaction_id == self.placed_transaction_id

    def instant_legs(self, wallet: int, bankroll: int) -> tuple[Leg, ...]:
        """A bet placed and settled at once, as one transaction: the wallet gives the stake
        and takes the payout, the bankroll the difference, each as its net (a transaction
        has one leg an account). The stake never rests in bets in play. Empty when the
        payout is the stake: nothing moves, and such a bet keeps its two transactions."""
        if self.payout is None or self.state not in (BetState.WON, BetState.LOST):
            raise IllegalTransition(f"bet {self.id} is not settled")
        net = self.payout - self.stake.amount
        if not net:
            return ()
        currency = self.stake.currency
        return (Leg(wallet, Money(net, currency)), Leg(bankroll, Money(-net, currency)))

    def summary(self) -> str:
        if self.multiplier is None:
            return f"{self.game} {dict(self.params)} {self.stake}: {self.state}"
        return (
            f"{self.game} {dict(self.params)} {self.stake}: {self.state} "
            f"at {format_multiplier(self.multiplier)}x"
        )
