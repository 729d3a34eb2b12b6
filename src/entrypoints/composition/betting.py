"""Bets: the per-process bet queue (the only way to place one, from any door), velocity
limits, settling and voiding, seeds and verification, the games' settings, and the staff's
bet search."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from dishka import Provider, Scope, provide
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.admin_queries import SqlBetQueries
from adapters.prometheus.placements import PrometheusBetQueueWaits
from adapters.velocity import RedisVelocityLimiter
from application.betting import GetBet, PlaceBet, SettleDiceBet, VoidBet
from application.betting.place import Placement
from application.betting.queries import BetReadModel, InspectBet, SearchBets
from application.betting.queue import BetQueue
from application.betting.stake_range import GetStakeRange
from application.game_admin import ListGames, UpdateGame
from application.games_rules import GetGameRules
from application.history import RecentBets
from application.house import HouseBook
from application.mines import CashOutMines, GetMines, OpenMines, RevealTile, VoidMines
from application.ports import (
    BetMetrics,
    Clock,
    IdGenerator,
    SeedSource,
    UnitOfWorkFactory,
    VelocityLimiter,
)
from application.responsible import ResponsibleGamblingGuard
from application.risk import RiskReview
from application.seeds import GetSeedPair, RotateSeedPair
from application.velocity import VelocityPolicy
from application.verification import VerifyBet
from domain.velocity import VelocityAction, VelocityLimit
from entrypoints.settings import Settings

_Road = TypeVar("_Road", bound=Placement)


@dataclass(frozen=True, slots=True)
class PlacementParts:
    """What every use case on the one road of a bet (`Placement`) is built from, once per
    process: the queue's `PlaceBet` here and crash's `PlaceRoundBet` (composition/crash.py)
    take the same parts, so they pass the same guard, limits and risk rules."""

    uow: UnitOfWorkFactory
    clock: Clock
    ids: IdGenerator
    house: HouseBook
    seeds: SeedSource
    guard: ResponsibleGamblingGuard
    velocity: VelocityPolicy
    risk: RiskReview
    metrics: BetMetrics

    def build(self, road: Callable[..., _Road], **own: object) -> _Road:
        """`road` built on these parts, with its `own` keyword arguments."""
        return road(
            self.uow,
            self.clock,
            self.ids,
            self.house,
            self.seeds,
            guard=self.guard,
            velocity=self.velocity,
            risk=self.risk,
            metrics=self.metrics,
            **own,
        )


class BettingProvider(Provider):
    """The bet queue, velocity limits and the bets' read model (one per process); the bet use
    cases (one per request)."""

    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def velocity_limiter(self, redis: Redis, clock: Clock) -> VelocityLimiter:
        return RedisVelocityLimiter(redis, clock)

    @provide(scope=Scope.APP)
    def velocity(self, settings: Settings, limiter: VelocityLimiter) -> VelocityPolicy:
        # Fail modes: bets open, deposits closed (the reasons are in application.velocity).
        limits: dict[VelocityAction, VelocityLimit] = {}
        bets, deposits = settings.velocity_bets_per_second, settings.velocity_deposits_per_hour
        if bets:
            limits[VelocityAction.BET] = VelocityLimit(
                VelocityAction.BET, bets, timedelta(seconds=1), fail_open=True
            )
        if deposits:
            limits[VelocityAction.DEPOSIT] = VelocityLimit(
                VelocityAction.DEPOSIT, deposits, timedelta(hours=1), fail_open=False
            )
        return VelocityPolicy(limiter, limits)

    placement_parts = provide(PlacementParts, scope=Scope.APP)

    @provide(scope=Scope.APP)
    def bet_queue(self, settings: Settings, parts: PlacementParts) -> BetQueue:
        # One per process, for every door (gRPC calls and streams, the bot, the Mini App): bets
        # that arrive together share batches. `PlaceBet` is built here and nowhere else; the
        # games with a road of their own build on the same `Placement` and its parts (mines
        # opens through this queue's PlaceBet, crash's PlaceRoundBet in composition/crash.py
        # subclasses it), so every bet passes the same admission and rules.
        return BetQueue(
            parts.build(PlaceBet),
            batch_size=settings.bet_batch_size,
            batches=settings.bet_batches,
            message_batches=settings.bet_message_batches,
            limit=settings.bet_queue_limit,
            waits=PrometheusBetQueueWaits(),
        )

    @provide(scope=Scope.APP)
    def bet_read_model(self, engine: AsyncEngine) -> BetReadModel:
        return SqlBetQueries(engine)

    @provide
    def open_mines(self, queue: BetQueue, clock: Clock) -> OpenMines:
        # The queue's PlaceBet: a mines game's bet is placed by the same use case as every bet.
        return OpenMines(queue.placer, clock)

    reveal_tile = provide(RevealTile)
    cash_out_mines = provide(CashOutMines)
    void_mines = provide(VoidMines)
    get_mines = provide(GetMines)
    recent_bets = provide(RecentBets)
    settle_dice_bet = provide(SettleDiceBet)
    void_bet = provide(VoidBet)
    get_bet = provide(GetBet)
    get_seed_pair = provide(GetSeedPair)
    rotate_seed_pair = provide(RotateSeedPair)
    verify_bet = provide(VerifyBet)
    list_games = provide(ListGames)
    get_game_rules = provide(GetGameRules)
    get_stake_range = provide(GetStakeRange)
    update_game = provide(UpdateGame)
    search_bets = provide(SearchBets)
    inspect_bet = provide(InspectBet)
