"""How a bet is decided: one function for a bet placed alone and for a bet of a batch.

A placement reads first, then decides, then writes. The two roads of a bet (`PlaceBet`, one
bet in its own transaction; `PlaceBets`, many in one) read and write their own way, but decide
the same way: `decide_bet`, given the command and the `PlacementFacts` read for it, returns the
bet as placed and as it will be stored (a provably fair bet settled at once from its seeds),
or raises the bet's own refusal (a game limit, the bankroll, insufficient funds). The player's
side of the decision (standing, exclusion, limits, reality check) is the responsible-gambling
guard's, which both roads call first; what the door allows (`PlaceBetCommand.instant_only`) is
checked when the bet is admitted, before anything is read.

`BatchTally` is what a batch adds: the state it read, moved on by each bet it decides, so a
later bet of a player sees the earlier one's balance and nonce."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from application.ports import BatchPlacementContext, IdGenerator
from domain.bets import Bet, FairnessProof
from domain.errors import InsufficientFunds, InvalidField
from domain.fairness import uint32_stream
from domain.games.base import Game, OutcomeSource, ProvablyFairGame, SteppedGame
from domain.games.catalog import GameConfig, game_by_code
from domain.money import Money
from domain.seeds import SeedPair


@dataclass(frozen=True, slots=True)
class PlaceBetCommand:
    player_id: int
    bet_id: uuid.UUID  # chosen by the client: a repeat of the same press places nothing new
    game: str
    stake: Money
    params: Mapping[str, str] = field(default_factory=dict)
    # The door offers provably fair games only, settled at once (gRPC PlayInstant, the Mini
    # App): a Telegram dice game is played in the bot's chat, where the bot throws the dice.
    instant_only: bool = False
    # The game's own use case opens a game played in steps (mines: `application.mines`),
    # which keeps its field beside the bet; no other door places such a bet.
    opens_steps: bool = False
    # Placed on a crash round by `application.crash.PlaceRoundBet`, which seats it in the round
    # in the same transaction; no other door places a crash bet (it would ride no round).
    round_bet: bool = False

    def admissible_game(self) -> Game:
        """The game, once the command may be placed at all: the game exists, the door offers
        it, and the stake is positive. Checked before anything is read."""
        game = game_by_code(self.game)
        if (game.source is OutcomeSource.CRASH_ROUND) != self.round_bet:
            raise InvalidField(
                "game",
                f"{game.code} bets are placed on a crash round (CrashService.PlaceBet, the Mini "
                "App's crash screen)"
                if not self.round_bet
                else f"{game.code} is not played in crash rounds",
            )
        if self.instant_only and game.source is not OutcomeSource.PROVABLY_FAIR:
            raise InvalidField(
                "game",
                f"{game.code} is not a provably fair instant game; it is played in the bot's chat",
            )
        if isinstance(game, SteppedGame) != self.opens_steps:
            raise InvalidField(
                "game",
                f"{game.code} is played in steps through its own service"
                if isinstance(game, SteppedGame)
                else f"{game.code} is not a game played in steps",
            )
        self.stake.require_positive()
        return game


@dataclass(frozen=True, slots=True)
class PlacementFacts:
    """What deciding a bet needs, as the placement read it."""

    wallet_id: int
    config: GameConfig
    bankroll: int  # the house bankroll in the stake's currency
    seeds: tuple[SeedPair, int] | None  # the pair and nonce a provably fair bet takes
    # The wallet's balance when the road knows it (a batch tallies it under the wallet's
    # lock); None: the placement's posting refuses an overdraft itself.
    balance: int | None = None


@dataclass(frozen=True, slots=True)
class DecidedBet:
    placed: Bet  # as placed (the placement posting's view)
    final: Bet  # as stored: settled at once when provably fair
    wallet_id: int

    @property
    def settled_at_once(self) -> bool:
        return self.final is not self.placed

    @property
    def posted_at_once(self) -> bool:
        """Settled at once and posted as one transaction (`Bet.instant_legs`)."""
        return self.settled_at_once and self.final.posted_at_once


def decide_bet(
    command: PlaceBetCommand, facts: PlacementFacts, *, now: datetime, ids: IdGenerator
) -> DecidedBet:
    """The bet as placed (the game's limits, the bankroll and, when known, the balance
    checked) and as it will be stored: with seeds, settled at once from them."""
    fairness = None
    if facts.seeds is not None:
        pair, nonce = facts.seeds
        fairness = FairnessProof(pair.id, nonce, pair.server_seed_hash, pair.client_seed)
    bet = Bet.place(
        bet_id=command.bet_id,
        player_id=command.player_id,
        config=facts.config,
        params=command.params,
        stake=command.stake,
        placed_at=now,
        transaction_id=ids.new_id(),
        fairness=fairness,
    )
    bet.check_bankroll(facts.bankroll)
    if facts.balance is not None and facts.balance < command.stake.amount:
        # What the posting would have refused with, in the same words.
        raise InsufficientFunds(
            f"insufficient funds on account {facts.wallet_id}",
            available=Money(facts.balance, command.stake.currency),
        )
    game = facts.config.game
    if (
        facts.seeds is None
        or not isinstance(game, ProvablyFairGame)
        # The seeds fix its field now; the player's steps settle it later.
        or isinstance(game, SteppedGame)
    ):
        return DecidedBet(bet, bet, facts.wallet_id)
    pair, nonce = facts.seeds
    words = uint32_stream(pair.server_seed, pair.client_seed, nonce)
    outcome = game.outcome_for(bet.selection, words)
    # One transaction for the stake and the payout (`Bet.instant_legs`, net) only where the
    # funds were checked here: the net leg of a winning bet would not refuse an overdraft,
    # which the locked road (no balance read) leaves to its placement posting. A bet that
    # pays its stake back moves nothing net: two transactions as well.
    final = bet.settle(game, outcome, at=bet.placed_at, transaction_id=bet.placed_transaction_id)
    if facts.balance is None or final.payout == bet.stake.amount:
        final = replace(final, settlement_transaction_id=ids.new_id())
    return DecidedBet(bet, final, facts.wallet_id)


@dataclass(slots=True)
class BatchTally:
    """What the bets decided so far in a batch did to the state it read: wallet balances,
    nonces taken per seed pair, bankrolls, bet ids seen."""

    known: BatchPlacementContext
    balances: dict[tuple[int, str], int]
    bankrolls: dict[str, int]
    taken: dict[int, int] = field(default_factory=dict)
    seen: set[uuid.UUID] = field(default_factory=set)

    @classmethod
    def of(cls, known: BatchPlacementContext) -> BatchTally:
        balances = {key: balance for key, (_, balance) in known.wallets.items()}
        return cls(known, balances, dict(known.bankrolls))

    def facts(self, command: PlaceBetCommand) -> PlacementFacts | None:
        """What the batch knows for this bet, now; None when the batch cannot decide it and
        it is placed alone: a repeated bet id (a replay, a twin), an unknown game or wallet,
        a first provably fair bet (no seed pair). A bet given facts counts as seen."""
        known = self.known
        if command.bet_id in known.existing or command.bet_id in self.seen:
            return None
        currency = command.stake.currency.code
        config = known.configs.get(command.game)
        wallet = known.wallets.get((command.player_id, currency))
        if config is None or wallet is None:
            return None
        seeds = None
        if isinstance(config.game, ProvablyFairGame):
            pair = known.seeds.get(command.player_id)
            if pair is None:
                return None
            seeds = (pair, pair.next_nonce + self.taken.get(pair.id, 0))
        self.seen.add(command.bet_id)
        balance = self.balances[(command.player_id, currency)]
        return PlacementFacts(wallet[0], config, self.bankrolls.get(currency, 0), seeds, balance)

    def take(self, decided: DecidedBet) -> None:
        """Move on past a bet that will be stored."""
        bet = decided.final
        currency = bet.stake.currency.code
        payout = bet.payout or 0  # a bet settled later pays nothing now
        if bet.fairness is not None:
            pair = bet.fairness.seed_pair_id
            self.taken[pair] = self.taken.get(pair, 0) + 1
            self.bankrolls[currency] = self.bankrolls.get(currency, 0) + bet.stake.amount - payout
        self.balances[(bet.player_id, currency)] += payout - bet.stake.amount
