"""Use cases of the bet lifecycle: place, settle on a Telegram dice, void.

A provably fair bet is placed and settled in one unit of work: its outcome is fixed the moment
it takes a nonce. A Telegram dice bet is placed first and settled when the dice the bot sent
for it lands."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

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
from domain.bets import Bet, DiceThrow, FairnessProof
from domain.errors import (
    DomainError,
    IdempotencyConflict,
    IllegalTransition,
    InsufficientFunds,
    InvalidRequest,
    NotFound,
    StorageUnavailable,
)
from domain.fairness import uint32_stream
from domain.games.base import ProvablyFairGame, TelegramDiceGame
from domain.games.catalog import GameConfig, game_by_code
from domain.ledger import PostedTransaction, Transaction
from domain.money import Currency, Money
from domain.postings import bet_placement, bet_settlement
from domain.responsible import ResponsibleGamblingRefusal
from domain.seeds import SeedPair
from domain.velocity import VelocityAction

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


@dataclass(frozen=True, slots=True)
class PlaceBetCommand:
    player_id: int
    bet_id: uuid.UUID  # chosen by the client: a repeat of the same press places nothing new
    game: str
    stake: Money
    params: Mapping[str, str] = field(default_factory=dict)


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


class PlaceBet(_BetPoster):
    """Place a bet: check the game, the player's responsible-gambling state and limits, the
    game's limits and the bankroll, and move the stake from the wallet to bets in play, all in
    one database transaction. A provably fair bet also takes the next nonce of the player's
    seed pair and settles at once. The bets-per-second velocity limit is counted first,
    outside the transaction (see `application.velocity`).

    Idempotent on the bet id: a repeat returns the first bet (`replayed`), even once the
    player is excluded or over a limit; the same id with a different game, selection, stake
    or player is an `IdempotencyConflict`."""

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

    async def __call__(self, command: PlaceBetCommand) -> BetReceipt:
        try:
            await self.admit(command)
            receipt = await self.place_admitted(command)
        except DomainError as error:
            self._metrics.refused(command.game, command.stake.currency, error.code)
            raise
        self.count(receipt)
        return receipt

    @property
    def metrics(self) -> BetMetrics:
        return self._metrics

    def count(self, receipt: BetReceipt) -> None:
        """Count a committed placement (a replay was counted the first time)."""
        if not receipt.replayed:
            self._metrics.placed(receipt.bet)

    async def admit(self, command: PlaceBetCommand) -> None:
        """The checks before any unit of work: the game exists, the stake is positive, and
        the velocity limit lets the bet through (or it is a replay)."""
        game_by_code(command.game)
        command.stake.require_positive()
        await self._velocity.admit(
            VelocityAction.BET, command.player_id, lambda: self._exists(command.bet_id)
        )

    async def place_admitted(self, command: PlaceBetCommand) -> BetReceipt:
        """Place an admitted bet in a unit of work of its own."""
        game = game_by_code(command.game)
        for _ in range(_PLACE_ATTEMPTS):
            try:
                return await self._attempt(command)
            except _LostRace:
                continue
        raise IdempotencyConflict(  # pragma: no cover - needs three lost races in a row
            f"bet {command.bet_id} is being placed concurrently; retry ({game.code})"
        )

    @property
    def house(self) -> HouseBook:
        return self._house

    def new_unit_of_work(self) -> UnitOfWork:
        return self._uow()

    async def _exists(self, bet_id: uuid.UUID) -> bool:
        async with self._uow() as uow:
            return await uow.bets.find(bet_id) is not None

    async def _attempt(self, command: PlaceBetCommand) -> BetReceipt:
        async with self._uow() as uow:
            receipt = await self.place_in(uow, command)
            if not receipt.replayed:
                await uow.commit()
        return receipt

    async def place_in(self, uow: UnitOfWork, command: PlaceBetCommand) -> BetReceipt:
        """The placement itself, inside the caller's unit of work, which commits it. Raises
        `_LostRace` when a twin with this bet id committed first (start over).

        Round trips are what a bet costs, so there are few: one read (which also takes the
        guard's per-player lock, before any other lock or write, while the usage the guard
        reads cannot include this bet yet), the nonce, the bet row, both postings at once."""
        game = game_by_code(command.game)
        currency = command.stake.currency
        context = await uow.placements.open(command.bet_id, command.player_id, currency, game.code)
        existing = context.existing
        if existing is not None:
            existing.require_same_request(game, command.params, command.stake, command.player_id)
            return BetReceipt(existing, await self._balance(uow, existing), replayed=True)
        wallet_id = context.wallet_id
        if wallet_id is None:
            if not context.player_exists:
                raise NotFound(f"no player with id {command.player_id}")
            raise NotFound(
                f"player {command.player_id} has no {currency.code} wallet; deposit first"
            )
        try:
            await self._guard.check_bet(
                uow,
                command.player_id,
                command.stake,
                self._clock.now(),
                locked=context.guard_locked,
            )
        except ResponsibleGamblingRefusal:
            # A twin with this bet id may have committed while we waited for the lock and
            # used the room it needed: that is a replay, not a refusal.
            if await uow.bets.find(command.bet_id) is not None:
                raise _LostRace from None
            raise
        seeds = None
        if isinstance(game, ProvablyFairGame):
            taken = await uow.seeds.take_nonce(command.player_id)
            if taken is None:  # first provably fair bet, or the pair was just rotated
                await uow.seeds.create(
                    command.player_id,
                    server_seed=self._seeds.server_seed(),
                    client_seed=self._seeds.client_seed(),
                    now=self._clock.now(),
                )
                taken = await uow.seeds.take_nonce(command.player_id)
            if taken is None:  # pragma: no cover - rotated twice during this placement
                raise _LostRace
            seeds = taken
        bet, final = self._bet(command, context.config, seeds, context.bankroll)
        if not await uow.bets.add(final):
            raise _LostRace  # a twin with this bet id committed first: replay it
        in_play = await self._house.account_for(
            uow.accounts, AccountKind.BETS_IN_PLAY, currency, command.player_id
        )
        placement = bet_placement(bet, bet.placement_legs(wallet_id, in_play), at=self._clock.now())
        log.debug(
            "bet %s of player %s: %s, stake %s %s, %s",
            bet.id,
            bet.player_id,
            bet.game,
            command.stake.amount,
            currency.code,
            final.state,
        )
        if final is bet:
            (posted,) = await uow.ledger.post_all([placement])
            return BetReceipt(bet, Money(posted.leg_for(wallet_id).balance_after, currency))
        # The row was inserted already settled; both postings go in one call.
        settlement = await self._settlement(uow, final, wallet_id)
        posted, settled = await uow.ledger.post_all([placement, settlement])
        await self._risk.on_bet_settled(uow, final)
        last = settled if final.payout else posted  # a loss leaves the wallet alone
        return BetReceipt(final, Money(last.leg_for(wallet_id).balance_after, currency))

    def _bet(
        self,
        command: PlaceBetCommand,
        config: GameConfig,
        seeds: tuple[SeedPair, int] | None,
        bankroll: int,
    ) -> tuple[Bet, Bet]:
        """The bet as placed (game limits and the bankroll checked) and as it will be stored:
        with `seeds` (its pair and nonce) a provably fair bet, settled at once from them."""
        fairness = None
        if seeds is not None:
            pair, nonce = seeds
            fairness = FairnessProof(pair.id, nonce, pair.server_seed_hash, pair.client_seed)
        bet = Bet.place(
            bet_id=command.bet_id,
            player_id=command.player_id,
            config=config,
            params=command.params,
            stake=command.stake,
            placed_at=self._clock.now(),
            transaction_id=self._ids.new_id(),
            fairness=fairness,
        )
        bet.check_bankroll(bankroll)
        game = game_by_code(command.game)
        if seeds is None or not isinstance(game, ProvablyFairGame):
            return bet, bet
        pair, nonce = seeds
        words = uint32_stream(pair.server_seed, pair.client_seed, nonce)
        outcome = game.outcome_from_words(words)
        return bet, bet.settle(game, outcome, at=bet.placed_at, transaction_id=self._ids.new_id())

    async def first_seed_pairs(
        self, uow: UnitOfWork, commands: Sequence[PlaceBetCommand], known: BatchPlacementContext
    ) -> BatchPlacementContext:
        """A batch's players about to make their first provably fair bet get their seed pair
        in the batch's transaction (as `place_in` would make it), so they need not go alone."""
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

    def decide(
        self, command: PlaceBetCommand, known: BatchPlacementContext, tally: _Tally
    ) -> _Decided | None:
        """A bet of a batch (`PlaceBets`), decided against what the batch read and what the bets
        before it did; the tally moves on only for a bet that will be stored. None: place it
        alone. Raises the bet's own refusal, as `place_in` would."""
        if command.bet_id in known.existing or command.bet_id in tally.seen:
            return None
        game = game_by_code(command.game)
        currency = command.stake.currency
        config = known.configs.get(game.code)
        wallet = known.wallets.get((command.player_id, currency.code))
        if command.player_id in known.guarded or config is None or wallet is None:
            return None
        wallet_id, _ = wallet
        seeds = None
        if isinstance(game, ProvablyFairGame):
            pair = known.seeds.get(command.player_id)
            if pair is None:
                return None
            seeds = (pair, pair.next_nonce + tally.taken.get(pair.id, 0))
        tally.seen.add(command.bet_id)
        bet, final = self._bet(command, config, seeds, tally.bankrolls.get(currency.code, 0))
        key = (command.player_id, currency.code)
        if tally.balances[key] < command.stake.amount:
            # What the posting would have refused with, in the same words.
            raise InsufficientFunds(f"insufficient funds on account {wallet_id}")
        if seeds is not None:
            pair = seeds[0]
            tally.taken[pair.id] = tally.taken.get(pair.id, 0) + 1
            payout = final.payout or 0
            tally.bankrolls[currency.code] = (
                tally.bankrolls.get(currency.code, 0) + command.stake.amount - payout
            )
        else:
            payout = 0
        tally.balances[key] += payout - command.stake.amount
        return _Decided(bet, final, wallet_id)

    async def store(
        self, uow: UnitOfWork, decided: Sequence[_Decided], tally: _Tally
    ) -> list[BetReceipt]:
        """Write a batch's decided bets: one INSERT, one nonce UPDATE, one call of the postings.
        Raises `_LostRace` when a twin committed one of the bet ids first (the batch's
        decisions no longer hold; the caller starts over one by one)."""
        added = await uow.bets.add_many([step.final for step in decided])
        if len(added) != len(decided):
            raise _LostRace
        await uow.seeds.advance(tally.taken)
        transactions: list[Transaction] = []
        for step in decided:
            bet = step.placed
            in_play = await self._house.account_for(
                uow.accounts, AccountKind.BETS_IN_PLAY, bet.stake.currency, bet.player_id
            )
            legs = bet.placement_legs(step.wallet_id, in_play)
            transactions.append(bet_placement(bet, legs, at=self._clock.now()))
            if step.final is not bet:
                transactions.append(await self._settlement(uow, step.final, step.wallet_id))
        posted = iter(await uow.ledger.post_all(transactions))
        receipts = []
        for step in decided:
            last = next(posted)
            if step.final is not step.placed:
                settled = next(posted)
                await self._risk.on_bet_settled(uow, step.final)
                if step.final.payout:
                    last = settled
            balance = last.leg_for(step.wallet_id).balance_after
            receipts.append(BetReceipt(step.final, Money(balance, step.final.stake.currency)))
            log.debug(
                "bet %s of player %s: %s, stake %s %s, %s (in a batch of %d)",
                step.final.id,
                step.final.player_id,
                step.final.game,
                step.final.stake.amount,
                step.final.stake.currency.code,
                step.final.state,
                len(decided),
            )
        return receipts


BetOutcome = BetReceipt | DomainError


@dataclass(slots=True)
class _Tally:
    """What the bets decided so far in a batch did to the state it read: wallet balances,
    nonces taken per seed pair, bankrolls, bet ids seen."""

    balances: dict[tuple[int, str], int]
    bankrolls: dict[str, int]
    taken: dict[int, int] = field(default_factory=dict)
    seen: set[uuid.UUID] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class _Decided:
    placed: Bet  # as placed (the placement posting's view)
    final: Bet  # as stored: settled at once when provably fair
    wallet_id: int


class PlaceBets:
    """Place many bets in one transaction and a handful of statements, each bet keeping its own
    result, as if `PlaceBet` had placed it alone.

    Every bet is admitted first, one by one (game, stake, velocity limit: a replay is never
    refused). Then one unit of work, with bounded lock waits (`lock_wait`; the house rows
    `house_wait` at a time, letting go in between):

    1. locks the house rows the bets will move (bets in play and, for provably fair bets, the
       bankroll, in id order), so concurrent batches queue there instead of deadlocking;
    2. reads in one go which bet ids exist, which players have a responsible-gambling record,
       the bankrolls and games, and locks the players' seed pairs and wallets;
    3. decides every bet in Python, in a fixed order (player id, bet id), against that state
       and what the bets before it did: a later bet of a player sees the earlier one's balance
       and nonce; a bet that fails (a game limit, the bankroll, insufficient funds) gets its
       own error and takes nothing (no nonce, no money), and its neighbours go on;
    4. writes all the decided bets with one INSERT, one nonce UPDATE and one call of the
       postings (`Ledger.post_all`), then commits once.

    Bets the batch does not decide itself are placed one by one through `PlaceBet` after the
    commit, in order: a repeated bet id (a replay, or a twin in the same batch), a player with
    a responsible-gambling record (the guard's per-player lock and usage reads belong to the
    single path), a first provably fair bet (no seed pair yet), an unknown game or wallet.

    Lock waits end long before PostgreSQL's deadlock detector would pick a victim, so a
    single-bet transaction is never the one to fail. If the batch's transaction fails for any
    reason (a lock wait ran out, a twin committed an id first, a lost connection, a failed
    commit), its bets are placed one by one through `PlaceBet`: the bet id makes that a
    replay for any bet that did commit."""

    def __init__(
        self, place: PlaceBet, *, lock_wait: float = 0.05, house_wait: float = 0.5
    ) -> None:
        self._place = place
        self._lock_wait = lock_wait
        self._house_wait = house_wait

    async def __call__(self, commands: Sequence[PlaceBetCommand]) -> list[BetOutcome]:
        outcomes: list[BetOutcome | None] = [None] * len(commands)

        async def admit(i: int) -> None:
            try:
                await self._place.admit(commands[i])
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
            if isinstance(outcome, DomainError):
                self._place.metrics.refused(command.game, command.stake.currency, outcome.code)
            else:
                self._place.count(outcome)
        return placed

    async def _alone(
        self,
        commands: Sequence[PlaceBetCommand],
        indices: list[int],
        outcomes: list[BetOutcome | None],
    ) -> None:
        """Place bets one by one through `PlaceBet`: a player's in order, players side by side,
        so one player's busy wallet holds up nobody else."""
        by_player: dict[int, list[int]] = {}
        for i in indices:
            by_player.setdefault(commands[i].player_id, []).append(i)

        async def place(queue: list[int]) -> None:
            for i in queue:
                try:
                    outcomes[i] = await self._place.place_admitted(commands[i])
                except DomainError as error:
                    outcomes[i] = error

        await asyncio.gather(*(place(queue) for queue in by_player.values()))

    async def _together(
        self, commands: Sequence[PlaceBetCommand], order: list[int]
    ) -> tuple[dict[int, BetOutcome], list[int]]:
        """The batch's transaction: the outcomes it decided, and the bets left to place alone."""
        place = self._place
        decided: dict[int, BetOutcome] = {}
        alone: list[int] = []
        async with place.new_unit_of_work() as uow:
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
            known = await place.first_seed_pairs(uow, [commands[i] for i in order], known)
            tally = _Tally(
                balances={key: balance for key, (_, balance) in known.wallets.items()},
                bankrolls=dict(known.bankrolls),
            )
            stored: list[tuple[int, _Decided]] = []
            for i in order:
                try:
                    step = place.decide(commands[i], known, tally)
                except DomainError as error:
                    decided[i] = error
                    continue
                if step is None:
                    alone.append(i)
                else:
                    stored.append((i, step))
            if stored:
                receipts = await place.store(uow, [step for _, step in stored], tally)
                decided.update(zip((i for i, _ in stored), receipts, strict=True))
            # The outbox's sequence rows are taken last, in order, by every transaction.
            await uow.limit_lock_waits(None)
            await uow.commit()
        return decided, alone

    async def _lock_house(self, uow: UnitOfWork, commands: Sequence[PlaceBetCommand]) -> None:
        house = self._place.house
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
