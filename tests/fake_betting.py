"""In-memory fakes of the betting ports (bets, seed pairs, game configurations, the placement
reads, the seamless wallet's records), on the same state as `tests.fakes`, so the bet use
cases run in unit tests without PostgreSQL. Locks are no-ops (a unit test has one task); the
rules the database enforces (one bet per id, one active pair per player, a record per
provider and id, one rollback, one close) are kept. The races and the real statements are
tested on PostgreSQL."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from application.ports import BatchPlacementContext, PlacementContext, PlacementWrite, SnapshotStale
from domain.accounts import AccountKind
from domain.bets import Bet, BetState
from domain.errors import GameUnavailable, IdempotencyConflict, IllegalTransition, NotFound
from domain.fairness import commitment
from domain.games.catalog import GameConfig, StakeLimits, game_by_code
from domain.kept_answers import KeptAnswer
from domain.mines import MinesField, MinesState
from domain.money import Currency
from domain.seamless import (
    ProviderTransaction,
    ProviderTransactionKind,
    ProviderTransactionState,
    SeamlessRound,
)
from domain.seeds import SeedPair
from domain.standing import PlayerStanding
from tests.fake_crash import FakeCrashRounds

if TYPE_CHECKING:
    from tests.fakes import _State


class FakeBets:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def add(self, bet: Bet) -> bool:
        if bet.id in self.s.bets:
            return False
        self.s.bets[bet.id] = bet
        return True

    async def find(self, bet_id: uuid.UUID, *, for_update: bool = False) -> Bet | None:
        return self.s.bets.get(bet_id)

    async def find_many(self, bet_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Bet]:
        return {i: self.s.bets[i] for i in bet_ids if i in self.s.bets}

    async def save(self, bet: Bet) -> None:
        stored = self.s.bets.get(bet.id)
        if stored is None or stored.state is not BetState.PLACED:
            raise IllegalTransition(f"bet {bet.id} is not placed")
        self.s.bets[bet.id] = bet

    async def save_many(self, bets: Sequence[Bet]) -> None:
        if any(
            self.s.bets.get(b.id) is None or self.s.bets[b.id].state is not BetState.PLACED
            for b in bets
        ):
            raise NotFound("a bet is no longer placed")
        for bet in bets:
            self.s.bets[bet.id] = bet

    async def recent(self, player_id: int, *, limit: int) -> Sequence[Bet]:
        mine = [b for b in self.s.bets.values() if b.player_id == player_id]
        return sorted(mine, key=lambda b: b.placed_at, reverse=True)[:limit]


class FakeMines:
    """Mines fields; the database's partial unique index (one open game per player and
    currency) is kept by `add`."""

    def __init__(self, state: _State) -> None:
        self.s = state

    async def add(self, field: MinesField) -> bool:
        if field.id in self.s.mines or await self.open_for(field.player_id, field.currency):
            return False
        self.s.mines[field.id] = field
        return True

    async def find(self, game_id: uuid.UUID) -> MinesField | None:
        return self.s.mines.get(game_id)

    async def open_for(self, player_id: int, currency: str) -> MinesField | None:
        return next(
            (
                f
                for f in self.s.mines.values()
                if f.player_id == player_id
                and f.currency == currency
                and f.state is MinesState.OPEN
            ),
            None,
        )

    async def save(self, field: MinesField) -> None:
        stored = self.s.mines.get(field.id)
        if stored is None or stored.state is not MinesState.OPEN:
            raise IllegalTransition(f"mines game {field.id} is not open")
        self.s.mines[field.id] = field

    async def of_bets(self, game_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, MinesField]:
        return {i: self.s.mines[i] for i in game_ids if i in self.s.mines}


class FakeSeedPairs:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def active(self, player_id: int) -> SeedPair | None:
        return next(
            (p for p in self.s.seeds.values() if p.player_id == player_id and not p.revealed),
            None,
        )

    async def create(
        self, player_id: int, *, server_seed: str, client_seed: str, now: datetime
    ) -> SeedPair | None:
        if await self.active(player_id) is not None:
            return None
        pair = SeedPair(
            self.s.take_id(), player_id, server_seed, commitment(server_seed), client_seed, 0, now
        )
        self.s.seeds[pair.id] = pair
        return pair

    async def take_nonce(self, player_id: int) -> tuple[SeedPair, int] | None:
        pair = await self.active(player_id)
        if pair is None:
            return None
        self.s.seeds[pair.id] = replace(pair, next_nonce=pair.next_nonce + 1)
        return pair, pair.next_nonce

    async def retire(self, player_id: int, *, now: datetime) -> SeedPair | None:
        pair = await self.active(player_id)
        if pair is None:
            return None
        self.s.seeds[pair.id] = replace(pair, revealed_at=now)
        return self.s.seeds[pair.id]

    async def get(self, seed_pair_id: int) -> SeedPair:
        if seed_pair_id not in self.s.seeds:
            raise NotFound(f"no seed pair {seed_pair_id}")
        return self.s.seeds[seed_pair_id]


# What the first migration gives every game in XTR (0002_bets: 1..10,000 Stars, paying up to
# 1,000,000); the fakes offer XTR only unless a test saves another configuration.
XTR_LIMITS = StakeLimits(1, 10_000, 1_000_000)


class FakeGameConfigs:
    """Every game on, at the default edge and XTR limits, until a test saves another."""

    def __init__(self, state: _State) -> None:
        self.s = state

    async def get(self, code: str) -> GameConfig:
        game_by_code(code)  # GameUnavailable for an unknown code, as the adapter says
        return self.s.games.get(code) or GameConfig(code, limits={"XTR": XTR_LIMITS})

    async def all(self) -> Sequence[GameConfig]:
        from domain.games.catalog import GAMES

        return [await self.get(code) for code in sorted(GAMES)]

    async def save(self, config: GameConfig, now: datetime) -> None:
        self.s.games[config.code] = config


class FakePlacements:
    """The placement reads, from the fakes' state; a player with a responsible-gambling
    record (`tests.fake_money`) is guarded, as the adapter's lock finds one."""

    def __init__(self, state: _State) -> None:
        self.s = state
        self._games = FakeGameConfigs(state)

    def _standing(self, player_id: int) -> PlayerStanding | None:
        player = self.s.players.get(player_id)
        if player is None:
            return None
        preferences = self.s.preferences.get(player_id)
        accepted = preferences is not None and preferences.terms_accepted
        return PlayerStanding(player.id, player.status, accepted)

    def _wallet(self, player_id: int, currency: str) -> tuple[int, int] | None:
        for a in self.s.accounts.values():
            if a.player_id == player_id and a.currency.code == currency:
                return a.id, a.balance
        return None

    def _bankroll(self, currency: str) -> int:
        return sum(
            a.balance
            for a in self.s.accounts.values()
            if a.kind is AccountKind.HOUSE_BANKROLL and a.currency.code == currency
        )

    async def open(
        self, bet_id: uuid.UUID, player_id: int, currency: Currency, game: str
    ) -> PlacementContext:
        config = await self._games.get(game)
        wallet = self._wallet(player_id, currency.code)
        return PlacementContext(
            existing=self.s.bets.get(bet_id),
            standing=self._standing(player_id),
            wallet_id=None if wallet is None else wallet[0],
            config=config,
            bankroll=self._bankroll(currency.code),
            guard_locked=player_id in self.s.profiles,
        )

    async def snapshot(
        self,
        bet_ids: Sequence[uuid.UUID],
        player_ids: Sequence[int],
        currencies: Sequence[str],
        games: Sequence[str],
    ) -> BatchPlacementContext:
        standings = {p: s for p in set(player_ids) if (s := self._standing(p)) is not None}
        wallets = {
            (p, c): w
            for p in set(player_ids)
            for c in set(currencies)
            if (w := self._wallet(p, c)) is not None
        }
        active = FakeSeedPairs(self.s).active
        seeds = {p: pair for p in sorted(set(player_ids)) if (pair := await active(p)) is not None}
        configs = {}
        for code in set(games):
            with contextlib.suppress(GameUnavailable):  # the adapter leaves unknown games out
                configs[code] = await self._games.get(code)
        return BatchPlacementContext(
            existing=frozenset(b for b in bet_ids if b in self.s.bets),
            guarded=frozenset(p for p in player_ids if p in self.s.profiles),
            standings=standings,
            wallets=wallets,
            seeds=seeds,
            configs=configs,
            bankrolls={c: self._bankroll(c) for c in set(currencies)},
            # As the adapter's nextval: an id set aside for each player with no active pair.
            reserved_pair_ids={
                p: self.s.take_id() for p in sorted(set(player_ids)) if p not in seeds
            },
        )

    def defer(self, write: PlacementWrite) -> None:
        if getattr(self, "deferred", None) is not None:
            raise RuntimeError("a unit of work writes one deferred placement")
        self.deferred: PlacementWrite | None = write

    async def write_deferred(self) -> None:
        """The fake commit's part: check the deferred write against the unit of work's copy
        of the state and apply it there, as `place_bets` checks and writes in one statement."""
        from tests.fakes import _Ledger  # a cycle at import time: tests.fakes imports this

        write, self.deferred = getattr(self, "deferred", None), None
        if write is None:
            return
        active = {p.player_id for p in self.s.seeds.values() if not p.revealed}
        stale = (
            any(self._standing(p) != standing for p, standing in write.standings.items())
            or any(p in self.s.profiles for p in write.standings)
            or any(self.s.seeds[i].next_nonce != read for i, (read, _) in write.nonces.items())
            or any(self.s.accounts[i].balance != b for i, b in write.balances.items())
            or any(b.id in self.s.bets for b in write.bets)
            or any(b in self.s.bets for b in write.absent)
            or any(pair.player_id in active for pair in write.new_pairs)
        )
        if stale:
            raise SnapshotStale("what the placement was decided on changed")
        if write.round is not None and not FakeCrashRounds(self.s).write_seats(write.round):
            raise SnapshotStale("the crash round, a seat or its exposure changed")
        for pair in write.new_pairs:
            self.s.seeds[pair.id] = pair
        for bet in write.bets:
            self.s.bets[bet.id] = bet
        for pair_id, (read, taken) in write.nonces.items():
            self.s.seeds[pair_id] = replace(self.s.seeds[pair_id], next_nonce=read + taken)
        await _Ledger(self.s).post_all(write.transactions)


class FakeProviderTransactions:
    """The seamless wallet's records and rounds. As the tables' constraints do: a record is
    inserted once per (provider, id), only a debit is rolled back (once), and a round is
    closed once."""

    def __init__(self, state: _State) -> None:
        self.s = state

    async def find(
        self, provider: str, transaction_id: str, *, for_update: bool = False
    ) -> ProviderTransaction | None:
        return self.s.provider_transactions.get((provider, transaction_id))

    async def find_rollback(
        self, provider: str, rollback_transaction_id: str
    ) -> ProviderTransaction | None:
        return next(
            (
                t
                for (p, _), t in self.s.provider_transactions.items()
                if p == provider and t.rollback_transaction_id == rollback_transaction_id
            ),
            None,
        )

    def _require_rollback_id_free(self, transaction: ProviderTransaction) -> None:
        # As the table's unique index on (provider, rollback_transaction_id) does.
        rollback_id = transaction.rollback_transaction_id
        for (p, tx), t in self.s.provider_transactions.items():
            if (
                rollback_id is not None
                and p == transaction.provider
                and tx != transaction.transaction_id
                and t.rollback_transaction_id == rollback_id
            ):
                raise IdempotencyConflict(f"rollback id {rollback_id} is taken")

    async def round_debits(self, provider: str, round_id: str) -> Sequence[ProviderTransaction]:
        return [
            t
            for (p, _), t in self.s.provider_transactions.items()
            if p == provider and t.round_id == round_id and t.kind is ProviderTransactionKind.DEBIT
        ]

    async def add(self, transaction: ProviderTransaction) -> bool:
        key = (transaction.provider, transaction.transaction_id)
        if key in self.s.provider_transactions:
            return False
        if (transaction.provider, transaction.round_id) not in self.s.rounds:
            raise NotFound(f"round {transaction.round_id} was never opened")
        self._require_rollback_id_free(transaction)
        self.s.provider_transactions[key] = transaction
        return True

    async def save(self, transaction: ProviderTransaction) -> None:
        key = (transaction.provider, transaction.transaction_id)
        stored = self.s.provider_transactions.get(key)
        if (
            transaction.state is not ProviderTransactionState.ROLLED_BACK
            or stored is None
            or stored.state is not ProviderTransactionState.DEBITED
        ):
            raise IllegalTransition(f"{transaction.transaction_id} is not a debit to roll back")
        self._require_rollback_id_free(transaction)
        self.s.provider_transactions[key] = transaction

    async def lock_round(
        self, provider: str, round_id: str, *, player_id: int, currency: Currency, now: datetime
    ) -> SeamlessRound:
        key = (provider, round_id)
        if key not in self.s.rounds:
            self.s.rounds[key] = SeamlessRound.open(
                provider=provider, round_id=round_id, player_id=player_id, currency=currency, at=now
            )
        return self.s.rounds[key]

    async def close_round(self, round_: SeamlessRound) -> None:
        stored = self.s.rounds.get((round_.provider, round_.round_id))
        if round_.closed_at is None or stored is None or stored.is_closed:
            raise IllegalTransition(f"round {round_.round_id} is closed or not being closed")
        self.s.rounds[(round_.provider, round_.round_id)] = round_


class FakeKeptAnswers:
    """The answers kept by request id: inserted once per (door, request id)."""

    def __init__(self, state: _State) -> None:
        self.s = state

    async def find(self, door: str, request_id: str) -> KeptAnswer | None:
        return self.s.kept_answers.get((door, request_id))

    async def add(self, answer: KeptAnswer) -> bool:
        key = (answer.door, answer.request_id)
        if key in self.s.kept_answers:
            return False
        self.s.kept_answers[key] = answer
        return True

    async def delete_before(self, before: datetime, *, limit: int) -> int:
        old = sorted(
            (a for a in self.s.kept_answers.values() if a.created_at < before),
            key=lambda a: a.created_at,
        )[:limit]
        for a in old:
            del self.s.kept_answers[(a.door, a.request_id)]
        return len(old)
