"""Place a bet: `PlaceBet`, the road of a bet placed alone, and `Placement`, what it shares with
`PlaceBets` (placing together, `application.betting.place_many`).

A provably fair bet is placed and settled in one unit of work: its outcome is fixed the moment
it takes a nonce. A Telegram dice bet is placed here and settled when the dice the bot sent
for it lands (`application.betting.settle`). How a bet is decided is
`application.betting.decision`'s, the same for both roads.

Over 400 lines on purpose: `Placement`'s private steps (admission, the snapshot and locked
roads, the write of decided bets) are what `PlaceBet`, `PlaceBets` and the games with a road of
their own share; split across modules they would become a public surface to place a bet
around the rules."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from application.betting.decision import (
    BatchTally,
    DecidedBet,
    PlaceBetCommand,
    PlacementFacts,
    decide_bet,
)
from application.betting.poster import BetPoster
from application.betting.receipts import NO_BET_METRICS, BetOutcome, BetReceipt
from application.betting.snapshot import BetSeating, first_pairs, pair_by_id, posted_on
from application.house import HouseBook
from application.ports import (
    BatchPlacementContext,
    BetMetrics,
    Clock,
    IdGenerator,
    LockContended,
    PlacementWrite,
    SeedSource,
    SnapshotStale,
    UnitOfWork,
    UnitOfWorkFactory,
)
from application.responsible import ALWAYS_GUARDED, ResponsibleGamblingGuard
from application.risk import DEFAULT_RISK_REVIEW, RiskReview
from application.seeds import take_nonce
from application.velocity import NO_VELOCITY_LIMITS, VelocityPolicy
from domain.accounts import AccountKind
from domain.errors import DomainError, IdempotencyConflict, NotFound
from domain.events import bet_posted
from domain.games.base import ProvablyFairGame
from domain.games.catalog import game_by_code
from domain.ledger import PostedTransaction, Transaction
from domain.money import Money
from domain.postings import bet_placement, bet_played_at_once
from domain.responsible import ResponsibleGamblingRefusal
from domain.seeds import SeedPair
from domain.standing import StandingRefusal
from domain.velocity import VelocityAction

log = logging.getLogger(__name__)

_Kept = TypeVar("_Kept")
_Done = TypeVar("_Done")


# How often a placement is retried after losing a race (a twin request with the same bet id,
# a seed pair rotated under it). Each retry sees the winner's committed state.
_PLACE_ATTEMPTS = 3


class LostRace(Exception):
    """A concurrent transaction committed first; start over and see its result."""


class Placement(BetPoster):
    """What both roads of a bet share (`PlaceBet` alone, `PlaceBets` together): their
    dependencies, the admission, the road of a bet placed alone (which a batch takes for the
    bets it cannot decide itself), and the writing of decided bets. Both decide a bet with
    `application.betting.decision.decide_bet`."""

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
        self._admissible(command)
        await self._velocity.admit(
            VelocityAction.BET, command.player_id, lambda: self._exists(command.bet_id)
        )

    @staticmethod
    def _admissible(command: PlaceBetCommand) -> None:
        """`_admit`'s checks that read nothing (all of them when no velocity limit counts
        bets: `_counts_bets`)."""
        command.admissible_game()

    @property
    def _counts_bets(self) -> bool:
        """Whether admitting a bet counts it against a velocity limit (an await)."""
        return self._velocity.limit(VelocityAction.BET) is not None

    async def _exists(self, bet_id: uuid.UUID) -> bool:
        async with self._uow() as uow:
            return await uow.bets.find(bet_id) is not None

    async def _place_alone(self, command: PlaceBetCommand) -> BetReceipt:
        """Place an admitted bet in a unit of work of its own: decided on a snapshot (two
        round trips) when that road can decide it, else on the locked road."""
        outcome = await self._on_snapshot_alone(command)
        if isinstance(outcome, DomainError):
            raise outcome
        if outcome is not None:
            return outcome
        return await self._locked(
            command, lambda uow: self._place_in(uow, command), lambda receipt: receipt.replayed
        )

    async def _locked(
        self,
        command: PlaceBetCommand,
        work: Callable[[UnitOfWork], Awaitable[_Done]],
        replayed: Callable[[_Done], bool],
    ) -> _Done:
        """The locked road in a unit of work of its own: `work` places the bet with
        `_place_in` (and writes what its game keeps beside it), committed unless it was a
        replay, and started over after a lost race. Every road a bet takes alone (here, a mines
        game's opening, a crash round's bet) commits and retries here."""
        for _ in range(_PLACE_ATTEMPTS):
            try:
                async with self._uow() as uow:
                    done = await work(uow)
                    if not replayed(done):
                        await uow.commit()
                    return done
            except (LostRace, LockContended):
                # LockContended: chosen as a deadlock's victim, rolled back whole: start over
                # like a lost race. Both roads of a bet lock in one order since revision 0050
                # (seed pairs, house accounts, players' accounts), so a bet of each road no
                # longer waits on the other; kept for any other cycle.
                continue
        raise IdempotencyConflict(  # pragma: no cover - needs three lost races in a row
            f"bet {command.bet_id} is being placed concurrently; retry ({command.game})"
        )

    async def _counted(
        self,
        command: PlaceBetCommand,
        place: Callable[[], Awaitable[_Done]],
        receipt_of: Callable[[_Done], BetReceipt],
    ) -> _Done:
        """Admit the bet, place it with `place`, and count the bet or its refusal."""
        try:
            await self._admit(command)
            done = await place()
        except DomainError as error:
            self._count(command, error)
            raise
        self._count(command, receipt_of(done))
        return done

    async def _on_snapshot_alone(self, command: PlaceBetCommand) -> BetOutcome | None:
        """A bet alone on the snapshot road; None: the locked road decides it (a replay, a
        player with a responsible-gambling record, ...), or its write met a changed state or a
        busy lock `_PLACE_ATTEMPTS` times."""
        for _ in range(_PLACE_ATTEMPTS):
            try:
                async with self._uow() as uow:
                    outcomes, alone = await self._decide_on_snapshot(uow, [command], [0])
                    if alone:
                        return None
                    await uow.commit()
            except (SnapshotStale, LockContended) as error:
                log.debug("bet %s: read again (%s)", command.bet_id, error)
                continue
            return outcomes[0]
        return None

    async def _decide_on_snapshot(
        self,
        uow: UnitOfWork,
        commands: Sequence[PlaceBetCommand],
        order: Sequence[int],
        seating: BetSeating | None = None,
    ) -> tuple[dict[int, BetOutcome], list[int]]:
        """Decide the bets `order` picks out of `commands` (in that order) on one snapshot
        read without locks, and defer their write to `uow`'s commit, which raises
        `SnapshotStale` if what they were decided on changed meanwhile. Returns the outcomes
        decided and the bets left to the locked road (see `application.betting.snapshot`).
        `seating` (crash) admits each bet decided to a round's seat, and its seats are
        written with the bets."""
        known = await uow.placements.snapshot(
            [commands[i].bet_id for i in order],
            [commands[i].player_id for i in order],
            [commands[i].stake.currency.code for i in order],
            [commands[i].game for i in order],
        )
        now = self._clock.now()
        refused = await self._refused(uow, known, {i: commands[i] for i in order}, now)
        known, new_pairs = first_pairs([commands[i] for i in order], known, self._seeds, now)
        tally = BatchTally.of(known)
        decided: dict[int, BetOutcome] = {}
        alone: list[int] = []
        stored: list[tuple[int, DecidedBet]] = []
        checked: set[int] = set()  # the players whose standing a decision rested on
        wallets: set[tuple[int, str]] = set()  # the wallets whose balance one rested on
        for i in order:
            command = commands[i]
            if i in refused:
                decided[i] = refused[i]
                checked.add(command.player_id)
                continue
            facts = None if command.player_id in known.guarded else tally.facts(command)
            if facts is None:
                alone.append(i)
                continue
            checked.add(command.player_id)
            wallets.add((command.player_id, command.stake.currency.code))
            try:
                step = decide_bet(command, facts, now=self._clock.now(), ids=self._ids)
                if seating is not None:
                    seating.admit(command, step.final, facts.bankroll)
            except DomainError as error:
                decided[i] = error
                continue
            tally.take(step)
            stored.append((i, step))
        if not decided and not stored:
            return decided, alone
        transactions: list[Transaction] = []
        made: dict[int, int] = {}  # how many of them each bet's `_postings` made
        house: dict[int, AccountKind] = {}
        for i, step in stored:
            postings = await self._postings(uow, step)
            made[i] = len(postings)
            transactions.extend(postings)
            _, in_play, bankroll = await self._settlement_accounts(uow, step.final, step.wallet_id)
            house[in_play] = AccountKind.BETS_IN_PLAY
            house[bankroll] = AccountKind.HOUSE_BANKROLL
        balances = {known.wallets[key][0]: known.wallets[key][1] for key in wallets}
        owners = {known.wallets[key][0]: key[0] for key in wallets}
        posted = iter(posted_on(transactions, balances, owners, house))
        # Each bet's transactions, in the order `_postings` made them (its events and receipt).
        mine = {i: [next(posted) for _ in range(made[i])] for i, _ in stored}
        for i, step in stored:
            uow.raise_events(*bet_posted(step.final, mine[i]))
        created = {pair.id for pair in new_pairs}
        uow.placements.defer(
            PlacementWrite(
                standings={p: known.standings[p] for p in checked},
                nonces={
                    pair: (known_pair.next_nonce, taken)
                    for pair, taken in tally.taken.items()
                    if pair not in created
                    for known_pair in (pair_by_id(known, pair),)
                },
                balances=balances,
                new_pairs=[
                    replace(pair, next_nonce=tally.taken.get(pair.id, 0))
                    for pair in new_pairs
                    if pair.id in tally.taken
                ],
                bets=[step.final for _, step in stored],
                absent=[
                    commands[i].bet_id for i, o in decided.items() if isinstance(o, DomainError)
                ],
                transactions=transactions,
                round=None if seating is None else seating.seats(),
            )
        )
        for i, step in stored:
            decided[i] = await self._receipt(uow, step, mine[i])
            self._log(step, len(stored))
        return decided, alone

    async def _refused(
        self,
        uow: UnitOfWork,
        known: BatchPlacementContext,
        commands: Mapping[int, PlaceBetCommand],
        now: datetime,
    ) -> dict[int, DomainError]:
        """The bets the guard refuses for their player's standing, decided as the locked
        road decides them for a player with no responsible-gambling record (no reads: the
        standing alone decides). Replays, players with a record and unknown players are left
        to the locked road."""
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

    async def _place_in(self, uow: UnitOfWork, command: PlaceBetCommand) -> BetReceipt:
        """The placement itself, inside the caller's unit of work, which commits it. Raises
        `LostRace` when a twin with this bet id committed first (start over).

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
                raise LostRace from None
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
            raise LostRace  # a twin with this bet id committed first: replay it
        self._log(decided)
        posted = await uow.ledger.post_all(await self._postings(uow, decided))
        uow.raise_events(*bet_posted(decided.final, posted))
        return await self._receipt(uow, decided, posted)

    async def _take_nonce(self, uow: UnitOfWork, player_id: int) -> tuple[SeedPair, int]:
        """The player's seed pair and the nonce this bet takes (the pair is made for a first
        provably fair bet)."""
        taken = await take_nonce(uow, self._seeds, player_id, self._clock.now())
        if taken is None:  # pragma: no cover - rotated twice during this placement
            raise LostRace
        return taken

    async def _postings(self, uow: UnitOfWork, decided: DecidedBet) -> list[Transaction]:
        """A decided bet's postings: its placement and, settled at once, its settlement; or,
        when its funds were checked before the write (the snapshot road), both in one
        transaction (`Bet.instant_legs`: the wallet and the bankroll, net)."""
        if decided.posted_at_once:
            final = decided.final
            bankroll = await self._house.account_for(
                uow.accounts, AccountKind.HOUSE_BANKROLL, final.stake.currency, final.player_id
            )
            legs = final.instant_legs(decided.wallet_id, bankroll)
            return [bet_played_at_once(final, legs, at=self._clock.now())]
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
        self, uow: UnitOfWork, decided: DecidedBet, posted: Sequence[PostedTransaction]
    ) -> BetReceipt:
        """The receipt of a decided bet whose postings are `posted` (as `_postings` made
        them: the stake's, then a settlement's when it has one of its own)."""
        last = posted[0]
        if decided.settled_at_once:
            # Large wins and wagers are flagged and audited in the settlement's transaction.
            await self._risk.on_bet_settled(uow, decided.final)
            if len(posted) == 2 and decided.final.payout:  # a loss leaves the wallet alone
                last = posted[1]
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


class PlaceBet(Placement):
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
        return await self._counted(
            command, lambda: self._place_alone(command), lambda receipt: receipt
        )

    async def place_with(
        self,
        command: PlaceBetCommand,
        keep: Callable[[UnitOfWork, BetReceipt], Awaitable[_Kept]],
    ) -> _Kept:
        """Place a bet exactly as `__call__` does (the same admission, guard, limits, nonce,
        postings and events, on the locked road), then `keep` what its game needs beside the
        bet in the same unit of work: a game played in steps keeps its field
        (`application.mines`). Both commit together or neither does; a refusal raised by
        `keep` writes nothing. A replay (the bet id was placed before) commits nothing and
        hands `keep` the stored bet, for it to read what was kept."""

        async def work(uow: UnitOfWork) -> tuple[BetReceipt, _Kept]:
            receipt = await self._place_in(uow, command)
            return receipt, await keep(uow, receipt)

        _, kept = await self._counted(
            command,
            lambda: self._locked(command, work, lambda done: done[0].replayed),
            lambda done: done[0],
        )
        return kept
