"""Use cases of the bet lifecycle: place, settle on a Telegram dice, void.

A provably fair bet is placed and settled in one unit of work: its outcome is fixed the moment
it takes a nonce. A Telegram dice bet is placed first and settled when the dice the bot sent
for it lands."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from application.house import HouseBook
from application.ports import Clock, IdGenerator, SeedSource, UnitOfWork, UnitOfWorkFactory
from application.responsible import ALWAYS_GUARDED, ResponsibleGamblingGuard
from application.risk import DEFAULT_RISK_REVIEW, RiskReview
from application.velocity import NO_VELOCITY_LIMITS, VelocityPolicy
from domain.accounts import AccountKind
from domain.bets import Bet, BetState, DiceThrow, FairnessProof
from domain.errors import IdempotencyConflict, IllegalTransition, InvalidRequest, NotFound
from domain.fairness import uint32_stream
from domain.games.base import ProvablyFairGame, TelegramDiceGame
from domain.games.catalog import game_by_code
from domain.ledger import Leg, PostedTransaction, Transaction, TransactionKind
from domain.money import Money
from domain.responsible import ResponsibleGamblingRefusal
from domain.velocity import VelocityAction

# How often a placement is retried after losing a race (a twin request with the same bet id,
# a seed pair rotated under it). Each retry sees the winner's committed state.
_PLACE_ATTEMPTS = 3


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


_SETTLEMENT_KIND = {
    BetState.WON: TransactionKind.WIN,
    BetState.LOST: TransactionKind.LOSS,
    BetState.VOIDED: TransactionKind.REFUND,
}


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
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._house = house
        self._risk = risk

    async def _post(
        self, uow: UnitOfWork, bet: Bet, kind: TransactionKind, legs: tuple[Leg, ...], step: str
    ) -> PostedTransaction:
        transaction_id = (
            bet.placed_transaction_id if step == "place" else bet.settlement_transaction_id
        )
        assert transaction_id is not None
        return await uow.ledger.post(
            Transaction(
                id=transaction_id,
                kind=kind,
                idempotency_key=f"bet:{bet.id}:{step}",
                legs=legs,
                created_at=self._clock.now(),
                reference=f"bet:{bet.id}",
                metadata={"bet_id": str(bet.id), "game": bet.game},
            )
        )

    async def _settlement_accounts(self, uow: UnitOfWork, bet: Bet) -> tuple[int, int, int]:
        currency = bet.stake.currency
        wallet = await uow.accounts.wallet(bet.player_id, currency)
        if wallet is None:  # pragma: no cover - a placed bet always has the wallet it came from
            raise NotFound(f"player {bet.player_id} has no {currency.code} wallet")
        in_play = await self._house.account_for(
            uow.accounts, AccountKind.BETS_IN_PLAY, currency, bet.player_id
        )
        bankroll = await self._house.account_for(
            uow.accounts, AccountKind.HOUSE_BANKROLL, currency, bet.player_id
        )
        return wallet.id, in_play, bankroll

    async def _post_settlement(self, uow: UnitOfWork, settled: Bet) -> PostedTransaction:
        wallet, in_play, bankroll = await self._settlement_accounts(uow, settled)
        kind = _SETTLEMENT_KIND[settled.state]
        legs = settled.settlement_legs(wallet, in_play, bankroll)
        posted = await self._post(uow, settled, kind, legs, "settle")
        # Large wins and wagers are flagged and audited in the settlement's own transaction.
        await self._risk.on_bet_settled(uow, settled)
        return posted

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
    ) -> None:
        super().__init__(uow, clock, ids, house, risk=risk)
        self._seeds = seeds
        self._guard = guard
        self._velocity = velocity

    async def __call__(self, command: PlaceBetCommand) -> BetReceipt:
        game = game_by_code(command.game)
        command.stake.require_positive()
        await self._velocity.admit(
            VelocityAction.BET, command.player_id, lambda: self._exists(command.bet_id)
        )
        for _ in range(_PLACE_ATTEMPTS):
            try:
                return await self._attempt(command)
            except _LostRace:
                continue
        raise IdempotencyConflict(  # pragma: no cover - needs three lost races in a row
            f"bet {command.bet_id} is being placed concurrently; retry ({game.code})"
        )

    async def _exists(self, bet_id: uuid.UUID) -> bool:
        async with self._uow() as uow:
            return await uow.bets.find(bet_id) is not None

    async def _attempt(self, command: PlaceBetCommand) -> BetReceipt:
        game = game_by_code(command.game)
        async with self._uow() as uow:
            existing = await uow.bets.find(command.bet_id)
            if existing is not None:
                existing.require_same_request(
                    game, command.params, command.stake, command.player_id
                )
                return BetReceipt(existing, await self._balance(uow, existing), replayed=True)
            await uow.players.get(command.player_id)
            # Before any other lock or write: the guard's per-player lock comes first, and the
            # usage it reads must not include this bet yet.
            try:
                await self._guard.check_bet(
                    uow, command.player_id, command.stake, self._clock.now()
                )
            except ResponsibleGamblingRefusal:
                # A twin with this bet id may have committed while we waited for the lock and
                # used the room it needed: that is a replay, not a refusal.
                if await uow.bets.find(command.bet_id) is not None:
                    raise _LostRace from None
                raise
            config = await uow.games.get(game.code)
            currency = command.stake.currency
            wallet = await uow.accounts.wallet(command.player_id, currency)
            if wallet is None:
                raise NotFound(
                    f"player {command.player_id} has no {currency.code} wallet; deposit first"
                )
            fairness, words = None, None
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
                pair, nonce = taken
                fairness = FairnessProof(pair.id, nonce, pair.server_seed_hash, pair.client_seed)
                words = uint32_stream(pair.server_seed, pair.client_seed, nonce)
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
            bankroll = await uow.accounts.house_balance(AccountKind.HOUSE_BANKROLL, currency)
            bet.check_bankroll(bankroll)
            final = bet
            if isinstance(game, ProvablyFairGame):
                assert words is not None
                final = bet.settle(
                    game,
                    game.outcome_from_words(words),
                    at=bet.placed_at,
                    transaction_id=self._ids.new_id(),
                )
            if not await uow.bets.add(final):
                raise _LostRace  # a twin with this bet id committed first: replay it
            in_play = await self._house.account_for(
                uow.accounts, AccountKind.BETS_IN_PLAY, currency, command.player_id
            )
            posted = await self._post(
                uow, bet, TransactionKind.BET, bet.placement_legs(wallet.id, in_play), "place"
            )
            balance = posted.leg_for(wallet.id).balance_after
            if final is not bet:
                # The row was inserted already settled; only the ledger side remains.
                settled = await self._post_settlement(uow, final)
                if final.payout:
                    balance = settled.leg_for(wallet.id).balance_after
            await uow.commit()
        return BetReceipt(final, Money(balance, currency))


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
