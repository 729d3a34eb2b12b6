"""Use cases of the bet lifecycle: place (alone or in a batch), settle on a Telegram dice, void.

A provably fair bet is placed and settled in one unit of work: its outcome is fixed the moment
it takes a nonce. A Telegram dice bet is placed first and settled when the dice the bot sent
for it lands. How a bet is decided is `application.bet_decision`'s, the same for both roads.

Longer than most modules: every use case here posts a bet's ledger transactions, and they
share the code that builds them (`_BetPoster`); both placement roads share `_Placement`."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from application.bet_decision import (
    BatchTally,
    DecidedBet,
    PlaceBetCommand,
    PlacementFacts,
    decide_bet,
)
from application.house import HouseBook
from application.ports import (
    BatchPlacementContext,
    BetMetrics,
    Clock,
    IdGenerator,
    LockContended,
    SeedSource,
    UnitOfWork,
    UnitOfWorkFactory,
)
from application.responsible import ALWAYS_GUARDED, ResponsibleGamblingGuard
from application.risk import DEFAULT_RISK_REVIEW, RiskReview
from application.velocity import NO_VELOCITY_LIMITS, VelocityPolicy
from domain.accounts import AccountKind
from domain.bets import Bet, DiceThrow
from domain.errors import (
    DomainError,
    IdempotencyConflict,
    IllegalTransition,
    InvalidRequest,
    NotFound,
    StorageUnavailable,
)
from domain.events import BetSettled, BetVoided, bet_stored, transactions_posted
from domain.games.base import ProvablyFairGame, TelegramDiceGame
from domain.games.catalog import game_by_code
from domain.ledger import PostedTransaction, Transaction
from domain.money import Currency, Money
from domain.postings import bet_placement, bet_settlement
from domain.responsible import ResponsibleGamblingRefusal
from domain.seeds import SeedPair
from domain.standing import StandingRefusal
from domain.velocity import VelocityAction

__all__ = [
    "NO_BET_METRICS",
    "BetOutcome",
    "BetReceipt",
    "GetBet",
    "PlaceBet",
    "PlaceBetCommand",
    "PlaceBets",
    "SettleDiceBet",
    "SettleDiceBetCommand",
    "UncountedBets",
    "VoidBet",
    "VoidBetCommand",
]

log = logging.getLogger(__name__)

# How often a placement is retried after losing a race (a twin request with the same bet id,
# a seed pair rotated under it). Each retry sees the winner's committed state.
_PLACE_ATTEMPTS = 3
# How often a batch tries to lock its house rows (see `PlaceBets`) before placing its bets
# one by one instead.
_HOUSE_LOCK_ATTEMPTS = 20


@dataclass(frozen=True, slots=True)
class BetReceipt:
    """A bet as it stands after the call, and the wallet balance it left behind."""

    bet: Bet
    balance: Money
    replayed: bool = False


# What one bet of a batch came to: its receipt, or its own refusal.
BetOutcome = BetReceipt | DomainError


class UncountedBets:
    """`BetMetrics` that counts nothing: the default where nobody watches (tests, tools)."""

    def placed(self, bet: Bet) -> None:
        pass

    def refused(self, game: str, currency: Currency, reason: str) -> None:
        pass

    def settled(self, bet: Bet) -> None:
        pass


NO_BET_METRICS: BetMetrics = UncountedBets()


class _LostRace(Exception):
    """A concurrent transaction committed first; start over and see its result."""


class _BetPoster:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        *,
        risk: RiskReview = DEFAULT_RISK_REVIEW,
        metrics: BetMetrics = NO_BET_METRICS,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._house = house
        self._risk = risk
        self._metrics = metrics

    async def _settlement_accounts(
        self, uow: UnitOfWork, bet: Bet, wallet_id: int | None = None
    ) -> tuple[int, int, int]:
        currency = bet.stake.currency
        if wallet_id is None:
            wallet = await uow.accounts.wallet(bet.player_id, currency)
            if wallet is None:  # pragma: no cover - a placed bet always has its wallet
                raise NotFound(f"player {bet.player_id} has no {currency.code} wallet")
            wallet_id = wallet.id
        in_play = await self._house.account_for(
            uow.accounts, AccountKind.BETS_IN_PLAY, currency, bet.player_id
        )
        bankroll = await self._house.account_for(
            uow.accounts, AccountKind.HOUSE_BANKROLL, currency, bet.player_id
        )
        return wallet_id, in_play, bankroll

    async def _post_settlement(
        self, uow: UnitOfWork, settled: Bet, wallet_id: int | None = None
    ) -> PostedTransaction:
        posted = await uow.ledger.post(await self._settlement(uow, settled, wallet_id))
        uow.raise_events(*transactions_posted(posted))
        # Large wins and wagers are flagged and audited in the settlement's own transaction.
        await self._risk.on_bet_settled(uow, settled)
        return posted

    async def _settlement(
        self, uow: UnitOfWork, settled: Bet, wallet_id: int | None = None
    ) -> Transaction:
        wallet, in_play, bankroll = await self._settlement_accounts(uow, settled, wallet_id)
        legs = settled.settlement_legs(wallet, in_play, bankroll)
        return bet_settlement(settled, legs, at=self._clock.now())

    async def _balance(self, uow: UnitOfWork, bet: Bet) -> Money:
        wallet = await uow.accounts.wallet(bet.player_id, bet.stake.currency)
        amount = wallet.balance if wallet is not None else 0
        return Money(amount, bet.stake.currency)


class _Placement(_BetPoster):
    """What both roads of a bet share (`PlaceBet` alone, `PlaceBets` together): their
    dependencies, the admission, the road of a bet placed alone (which a batch takes for the
    bets it cannot decide itself), and the writing of decided bets. Both decide a bet with
    `application.bet_decision.decide_bet`."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        seeds: SeedSource,
        *,
        guard: ResponsibleGamblingGuard = ALWAYS_GUARDED,
        velocity: VelocityPolicy = NO_VELOCITY_LIMITS,
        risk: RiskReview = DEFAULT_RISK_REVIEW,
        metrics: BetMetrics = NO_BET_METRICS,
    ) -> None:
        super().__init__(uow, clock, ids, house, risk=risk, metrics=metrics)
        self._seeds = seeds
        self._guard = guard
        self._velocity = velocity

    def _count(self, command: PlaceBetCommand, outcome: BetOutcome) -> None:
        """Count a placement as it finally stood (a replay was counted the first time)."""
        if isinstance(outcome, DomainError):
            self._metrics.refused(command.game, command.stake.currency, outcome.code)
        elif not outcome.replayed:
            self._metrics.placed(outcome.bet)

    async def _admit(self, command: PlaceBetCommand) -> None:
        """The checks before any unit of work: the game exists and the door offers it, the
        stake is positive, and the velocity limit lets the bet through (or it is a replay)."""
        command.admissible_game()
        await self._velocity.admit(
            VelocityAction.BET, command.player_id, lambda: self._exists(command.bet_id)
        )

    async def _exists(self, bet_id: uuid.UUID) -> bool:
        async with self._uow() as uow:
            return await uow.bets.find(bet_id) is not None

    async def _place_alone(self, command: PlaceBetCommand) -> BetReceipt:
        """Place an admitted bet in a unit of work of its own."""
        for _ in range(_PLACE_ATTEMPTS):
            try:
                return await self._attempt(command)
            except _LostRace:
                continue
        raise IdempotencyConflict(  # pragma: no cover - needs three lost races in a row
            f"bet {command.bet_id} is being placed concurrently; retry ({command.game})"
        )

    async def _attempt(self, command: PlaceBetCommand) -> BetReceipt:
        async with self._uow() as uow:
            receipt = await self._place_in(uow, command)
            if not receipt.replayed:
                await uow.commit()
        return receipt

    async def _place_in(self, uow: UnitOfWork, command: PlaceBetCommand) -> BetReceipt:
        """The placement itself, inside the caller's unit of work, which commits it. Raises
        `_LostRace` when a twin with this bet id committed first (start over).

        Round trips are what a bet costs, so there are few: one read (which also takes the
        guard's per-player lock, before any other lock or write, while the usage the guard
        reads cannot include this bet yet, and reads the player's standing), the nonce, the
        bet row, both postings at once."""
        currency = command.stake.currency
        context = await uow.placements.open(
            command.bet_id, command.player_id, currency, command.game
        )
        existing = context.existing
        if existing is not None:
            game = game_by_code(command.game)
            existing.require_same_request(game, command.params, command.stake, command.player_id)
            return BetReceipt(existing, await self._balance(uow, existing), replayed=True)
        if context.standing is None:
            raise NotFound(f"no player with id {command.player_id}")
        try:
            await self._guard.check_bet(
                uow,
                context.standing,
                command.stake,
                self._clock.now(),
                locked=context.guard_locked,
            )
        except (ResponsibleGamblingRefusal, StandingRefusal):
            # A twin with this bet id may have committed (before a block, or while we waited
            # for the lock, using the room it needed): that is a replay, not a refusal.
            if await uow.bets.find(command.bet_id) is not None:
                raise _LostRace from None
            raise
        wallet_id = context.wallet_id
        if wallet_id is None:
            raise NotFound(
                f"player {command.player_id} has no {currency.code} wallet; deposit first"
            )
        seeds = None
        if isinstance(context.config.game, ProvablyFairGame):
            seeds = await self._take_nonce(uow, command.player_id)
        facts = PlacementFacts(wallet_id, context.config, context.bankroll, seeds)
        decided = decide_bet(command, facts, now=self._clock.now(), ids=self._ids)
        if not await uow.bets.add(decided.final):
            raise _LostRace  # a twin with this bet id committed first: replay it
        uow.raise_events(*bet_stored(decided.final))
        self._log(decided)
        posted = await uow.ledger.post_all(await self._postings(uow, decided))
        uow.raise_events(*transactions_posted(*posted))
        return await self._receipt(uow, decided, iter(posted))

    async def _take_nonce(self, uow: UnitOfWork, player_id: int) -> tuple[SeedPair, int]:
        """The player's seed pair and the nonce this bet takes (the pair is made for a first
        provably fair bet)."""
        taken = await uow.seeds.take_nonce(player_id)
        if taken is None:  # first provably fair bet, or the pair was just rotated
            await uow.seeds.create(
                player_id,
                server_seed=self._seeds.server_seed(),
                client_seed=self._seeds.client_seed(),
                now=self._clock.now(),
            )
            taken = await uow.seeds.take_nonce(player_id)
        if taken is None:  # pragma: no cover - rotated twice during this placement
            raise _LostRace
        return taken

    async def _postings(self, uow: UnitOfWork, decided: DecidedBet) -> list[Transaction]:
        """A decided bet's postings: its placement and, settled at once, its settlement."""
        bet = decided.placed
        in_play = await self._house.account_for(
            uow.accounts, AccountKind.BETS_IN_PLAY, bet.stake.currency, bet.player_id
        )
        legs = bet.placement_legs(decided.wallet_id, in_play)
        postings = [bet_placement(bet, legs, at=self._clock.now())]
        if decided.settled_at_once:
            postings.append(await self._settlement(uow, decided.final, decided.wallet_id))
        return postings

    async def _receipt(
        self, uow: UnitOfWork, decided: DecidedBet, posted: Iterator[PostedTransaction]
    ) -> BetReceipt:
        """The receipt of a decided bet whose postings are next in `posted`."""
        last = next(posted)
        if decided.settled_at_once:
            settled = next(posted)
            # Large wins and wagers are flagged and audited in the settlement's transaction.
            await self._risk.on_bet_settled(uow, decided.final)
            if decided.final.payout:  # a loss leaves the wallet alone
                last = settled
        balance = last.leg_for(decided.wallet_id).balance_after
        return BetReceipt(decided.final, Money(balance, decided.final.stake.currency))

    @staticmethod
    def _log(decided: DecidedBet, batch: int = 1) -> None:
        bet = decided.final
        log.debug(
            "bet %s of player %s: %s, stake %s %s, %s%s",
            bet.id,
            bet.player_id,
            bet.game,
            bet.stake.amount,
            bet.stake.currency.code,
            bet.state,
            f" (in a batch of {batch})" if batch > 1 else "",
        )


class PlaceBet(_Placement):
    """Place a bet: check the game, the player's standing (blocked, terms not accepted), their
    responsible-gambling state and limits, the game's limits and the bankroll, and move the
    stake from the wallet to bets in play, all in one database transaction. A provably fair bet
    also takes the next nonce of the player's seed pair and settles at once. The bets-per-second
    velocity limit is counted first, outside the transaction (see `application.velocity`).

    Idempotent on the bet id: a repeat returns the first bet (`replayed`), even once the
    player is blocked, excluded or over a limit; the same id with a different game, selection,
    stake or player is an `IdempotencyConflict`.

    Every door places through `BetQueue`, which places a bet this way when it arrives alone
    and with `PlaceBets` when bets arrive together."""

    async def __call__(self, command: PlaceBetCommand) -> BetReceipt:
        try:
            await self._admit(command)
            receipt = await self._place_alone(command)
        except DomainError as error:
            self._count(command, error)
            raise
        self._count(command, receipt)
        return receipt


class PlaceBets(_Placement):
    """Place many bets in one transaction and a handful of statements, each bet keeping its own
    result, as if `PlaceBet` had placed it alone (it decides each with the same function).

    Every bet is admitted first, one by one (game, stake, velocity limit: a replay is never
    refused). Then one unit of work, with bounded lock waits (`lock_wait`; the house rows
    `house_wait` at a time, letting go in between):

    1. locks the house rows the bets will move (bets in play and, for provably fair bets, the
       bankroll, in id order), so concurrent batches queue there instead of deadlocking;
    2. reads in one go which bet ids exist, which players have a responsible-gambling record,
       the players' standings, the bankrolls and games, and locks the players' seed pairs and
       wallets;
    3. refuses the bets of players whose standing refuses a bet (blocked, terms not accepted)
       with the guard, as the single path does for a player without a responsible-gambling
       record, and gives the players about to make their first provably fair bet a seed pair;
    4. decides every other bet in Python (`decide_bet`), in a fixed order (player id, bet id),
       against that state and what the bets before it did: a later bet of a player sees the
       earlier one's balance and nonce; a bet that fails (a game limit, the bankroll,
       insufficient funds) gets its own error and takes nothing (no nonce, no money), and its
       neighbours go on;
    5. writes all the decided bets with one INSERT, one nonce UPDATE and one call of the
       postings (`Ledger.post_all`), then commits once.

    Bets the batch does not decide itself are placed one by one, as `PlaceBet` places a bet,
    after the commit, in order: a repeated bet id (a replay, or a twin in the same batch), a
    player with a responsible-gambling record (the guard's per-player lock and usage reads
    belong to the single path), an unknown player, game or wallet, a player whose seed pair
    could not be made in the batch.

    Lock waits end long before PostgreSQL's deadlock detector would pick a victim, so a
    single-bet transaction is never the one to fail. If the batch's transaction fails for any
    reason (a lock wait ran out, a twin committed an id first, a lost connection, a failed
    commit), its bets are placed one by one: the bet id makes that a replay for any bet that
    did commit."""

    def __init__(
        self, place: PlaceBet, *, lock_wait: float = 0.05, house_wait: float = 0.5
    ) -> None:
        # The same dependencies as the single road: a bet of a batch is placed as it would be.
        super().__init__(
            place._uow,
            place._clock,
            place._ids,
            place._house,
            place._seeds,
            guard=place._guard,
            velocity=place._velocity,
            risk=place._risk,
            metrics=place._metrics,
        )
        self._lock_wait = lock_wait
        self._house_wait = house_wait

    async def __call__(self, commands: Sequence[PlaceBetCommand]) -> list[BetOutcome]:
        outcomes: list[BetOutcome | None] = [None] * len(commands)

        async def admit(i: int) -> None:
            try:
                await self._admit(commands[i])
            except DomainError as error:
                outcomes[i] = error

        await asyncio.gather(*(admit(i) for i in range(len(commands))))
        order = sorted(
            (i for i in range(len(commands)) if outcomes[i] is None),
            key=lambda i: (commands[i].player_id, commands[i].bet_id),
        )
        alone = order
        # One bet goes the single-bet way: a batch's extra statements buy it nothing.
        if len(order) > 1:
            try:
                decided, alone = await self._together(commands, order)
            except LockContended as error:
                log.info("a batch of %d bets met a busy lock (%s); one by one", len(order), error)
            except StorageUnavailable as error:
                log.warning("a batch of %d bets lost the database (%s)", len(order), error)
            except _LostRace:
                log.info("a twin committed a bet id of a batch of %d first; one by one", len(order))
            except Exception:  # each bet's own errors were decided inside: this is the batch's
                log.warning(
                    "a batch of %d bets failed as a whole; placing them one by one",
                    len(order),
                    exc_info=True,
                )
            else:
                for i, outcome in decided.items():
                    outcomes[i] = outcome
        await self._alone(commands, alone, outcomes)
        assert all(outcome is not None for outcome in outcomes)
        placed = [outcome for outcome in outcomes if outcome is not None]
        # Counted once the batch is over: a batch that failed and went one by one counts
        # each bet once, as it finally stood.
        for command, outcome in zip(commands, placed, strict=True):
            self._count(command, outcome)
        return placed

    async def _alone(
        self,
        commands: Sequence[PlaceBetCommand],
        indices: list[int],
        outcomes: list[BetOutcome | None],
    ) -> None:
        """Place bets one by one, each in its own unit of work: a player's in order, players
        side by side, so one player's busy wallet holds up nobody else."""
        by_player: dict[int, list[int]] = {}
        for i in indices:
            by_player.setdefault(commands[i].player_id, []).append(i)

        async def place(queue: list[int]) -> None:
            for i in queue:
                try:
                    outcomes[i] = await self._place_alone(commands[i])
                except DomainError as error:
                    outcomes[i] = error

        await asyncio.gather(*(place(queue) for queue in by_player.values()))

    async def _together(
        self, commands: Sequence[PlaceBetCommand], order: list[int]
    ) -> tuple[dict[int, BetOutcome], list[int]]:
        """The batch's transaction: the outcomes it decided, and the bets left to place alone."""
        decided: dict[int, BetOutcome] = {}
        alone: list[int] = []
        async with self._uow() as uow:
            await self._lock_house(uow, [commands[i] for i in order])
            # Holding house rows, wait for nothing else for long: a single-bet transaction
            # may hold a player's seed pair or wallet and be queued on those very rows.
            await uow.limit_lock_waits(self._lock_wait)
            known = await uow.placements.open_many(
                [commands[i].bet_id for i in order],
                [commands[i].player_id for i in order],
                [commands[i].stake.currency.code for i in order],
                [commands[i].game for i in order],
            )
            now = self._clock.now()
            refused = await self._refused(uow, known, {i: commands[i] for i in order}, now)
            deciding = [commands[i] for i in order if i not in refused]
            tally = BatchTally.of(await self._first_seed_pairs(uow, deciding, known))
            stored: list[tuple[int, DecidedBet]] = []
            for i in order:
                command = commands[i]
                if i in refused:
                    decided[i] = refused[i]
                    continue
                facts = None if command.player_id in known.guarded else tally.facts(command)
                if facts is None:
                    alone.append(i)
                    continue
                try:
                    step = decide_bet(command, facts, now=self._clock.now(), ids=self._ids)
                except DomainError as error:
                    decided[i] = error
                    continue
                tally.take(step)
                stored.append((i, step))
            if stored:
                receipts = await self._store(uow, [step for _, step in stored], tally)
                decided.update(zip((i for i, _ in stored), receipts, strict=True))
            # The outbox's sequence rows are taken last, in order, by every transaction.
            await uow.limit_lock_waits(None)
            await uow.commit()
        return decided, alone

    async def _refused(
        self,
        uow: UnitOfWork,
        known: BatchPlacementContext,
        commands: Mapping[int, PlaceBetCommand],
        now: datetime,
    ) -> dict[int, DomainError]:
        """The bets the guard refuses for their player's standing, decided as the single road
        decides them for a player with no responsible-gambling record (no reads: the standing
        alone decides). Replays, players with a record and unknown players go alone."""
        refused: dict[int, DomainError] = {}
        for i, command in commands.items():
            standing = known.standings.get(command.player_id)
            if (
                standing is None
                or command.player_id in known.guarded
                or command.bet_id in known.existing
            ):
                continue
            try:
                await self._guard.check_bet(uow, standing, command.stake, now, locked=False)
            except DomainError as error:
                refused[i] = error
        return refused

    async def _first_seed_pairs(
        self, uow: UnitOfWork, commands: Sequence[PlaceBetCommand], known: BatchPlacementContext
    ) -> BatchPlacementContext:
        """A batch's players about to make their first provably fair bet get their seed pair
        in the batch's transaction (as the single road would make it), so they need not go
        alone."""
        missing = {
            c.player_id
            for c in commands
            if isinstance(game_by_code(c.game), ProvablyFairGame)
            and c.player_id not in known.seeds
            and c.player_id not in known.guarded
            and (c.player_id, c.stake.currency.code) in known.wallets
        }
        if not missing:
            return known
        created = await uow.seeds.create_many(
            {p: (self._seeds.server_seed(), self._seeds.client_seed()) for p in missing},
            now=self._clock.now(),
        )
        return replace(known, seeds={**known.seeds, **created})

    async def _store(
        self, uow: UnitOfWork, decided: Sequence[DecidedBet], tally: BatchTally
    ) -> list[BetReceipt]:
        """Write a batch's decided bets: one INSERT, one nonce UPDATE, one call of the postings.
        Raises `_LostRace` when a twin committed one of the bet ids first (the batch's
        decisions no longer hold; the caller starts over one by one)."""
        added = await uow.bets.add_many([step.final for step in decided])
        if len(added) != len(decided):
            raise _LostRace
        for step in decided:
            uow.raise_events(*bet_stored(step.final))
        await uow.seeds.advance(tally.taken)
        transactions: list[Transaction] = []
        for step in decided:
            transactions.extend(await self._postings(uow, step))
        all_posted = await uow.ledger.post_all(transactions)
        uow.raise_events(*transactions_posted(*all_posted))
        posted = iter(all_posted)
        receipts = []
        for step in decided:
            receipts.append(await self._receipt(uow, step, posted))
            self._log(step, len(decided))
        return receipts

    async def _lock_house(self, uow: UnitOfWork, commands: Sequence[PlaceBetCommand]) -> None:
        house = self._house
        in_play, bankroll = set(), set()
        for command in commands:
            currency = command.stake.currency
            in_play.add(
                await house.account_for(
                    uow.accounts, AccountKind.BETS_IN_PLAY, currency, command.player_id
                )
            )
            if isinstance(game_by_code(command.game), ProvablyFairGame):
                bankroll.add(
                    await house.account_for(
                        uow.accounts, AccountKind.HOUSE_BANKROLL, currency, command.player_id
                    )
                )
        # In id order, as a posting takes them. A single provably fair bet takes bets in play
        # before the bankroll (two postings), whatever their ids: a wait here is bounded, and
        # lets go of what it holds when it runs out, so such a cycle breaks on our side.
        await uow.limit_lock_waits(self._house_wait)
        for _ in range(_HOUSE_LOCK_ATTEMPTS):
            try:
                async with uow.savepoint():
                    await uow.accounts.lock(sorted(in_play | bankroll))
                return
            except LockContended:
                continue
        raise LockContended("the house rows of the batch stayed busy")


@dataclass(frozen=True, slots=True)
class SettleDiceBetCommand:
    bet_id: uuid.UUID
    chat_id: int
    message_id: int  # the dice message the bot itself sent for this bet
    value: int


class SettleDiceBet(_BetPoster):
    """Settle a Telegram dice bet on the value of the dice the bot sent for it. Exactly once:
    concurrent calls queue on the bet's row lock, and a repeat of the same throw returns the
    first settlement; a different throw for a settled bet is an `IllegalTransition`."""

    async def __call__(self, command: SettleDiceBetCommand) -> BetReceipt:
        throw = DiceThrow(command.chat_id, command.message_id)
        async with self._uow() as uow:
            bet = await uow.bets.find(command.bet_id, for_update=True)
            if bet is None:
                raise NotFound(f"there is no bet {command.bet_id}")
            game = game_by_code(bet.game)
            if not isinstance(game, TelegramDiceGame):
                raise InvalidRequest(f"a {bet.game} bet is not settled by a Telegram dice")
            outcome = game.outcome_from_dice(command.value)
            if bet.state.is_final:
                if bet.dice == throw and bet.outcome == outcome:
                    return BetReceipt(bet, await self._balance(uow, bet), replayed=True)
                raise IllegalTransition(f"bet {bet.id} is already {bet.state}")
            settled = bet.settle(
                game, outcome, at=self._clock.now(), transaction_id=self._ids.new_id()
            )
            settled = replace(settled, dice=throw)
            await self._post_settlement(uow, settled)
            await uow.bets.save(settled)
            uow.raise_events(BetSettled(settled))
            balance = await self._balance(uow, settled)
            await uow.commit()
        self._metrics.settled(settled)
        return BetReceipt(settled, balance)


@dataclass(frozen=True, slots=True)
class VoidBetCommand:
    bet_id: uuid.UUID
    reason: str


class VoidBet(_BetPoster):
    """Return the stake of a bet that was placed but never settled (the dice never arrived,
    a game was withdrawn). Only a placed bet can be voided; a repeat returns the first void."""

    async def __call__(self, command: VoidBetCommand) -> BetReceipt:
        async with self._uow() as uow:
            bet = await uow.bets.find(command.bet_id, for_update=True)
            if bet is None:
                raise NotFound(f"there is no bet {command.bet_id}")
            if bet.state.is_final and bet.void_reason == command.reason.strip():
                return BetReceipt(bet, await self._balance(uow, bet), replayed=True)
            voided = bet.void(
                command.reason, at=self._clock.now(), transaction_id=self._ids.new_id()
            )
            await self._post_settlement(uow, voided)
            await uow.bets.save(voided)
            uow.raise_events(BetVoided(voided))
            balance = await self._balance(uow, voided)
            await uow.commit()
        self._metrics.settled(voided)
        return BetReceipt(voided, balance)


class GetBet(_BetPoster):
    """A bet as it stands, with the player's current balance in its currency."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, bet_id: uuid.UUID) -> BetReceipt:
        async with self._uow() as uow:
            bet = await uow.bets.find(bet_id)
            if bet is None:
                raise NotFound(f"there is no bet {bet_id}")
            return BetReceipt(bet, await self._balance(uow, bet))
