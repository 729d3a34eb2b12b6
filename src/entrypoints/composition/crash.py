"""Crash: the round bets' and cash-outs' use cases (one per process, like the bet queue), the
round driver and its leader lock, from the crash settings."""

from __future__ import annotations

from fractions import Fraction

from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.crash import SqlLeaderLock
from application.crash import (
    CashOutRoundBet,
    CrashDriver,
    CrashPoints,
    CrashPolicy,
    GetRound,
    PlaceRoundBet,
    RoundFeed,
    SettleCrashedRound,
)
from application.house import HouseBook
from application.ports import BetMetrics, Clock, IdGenerator, UnitOfWorkFactory
from application.risk import RiskReview
from entrypoints.composition.betting import PlacementParts
from entrypoints.settings import Settings


class CrashProvider(Provider):
    scope = Scope.APP

    @provide
    def policy(self, settings: Settings) -> CrashPolicy:
        return CrashPolicy(
            betting_seconds=settings.crash_betting_seconds,
            bankroll_share=Fraction(settings.crash_bankroll_share),
            watch=settings.crash_watch_ms / 1000,
            recovery_grace=settings.crash_recovery_grace_ms / 1000,
        )

    @provide
    def points(self) -> CrashPoints:
        return CrashPoints()

    @provide
    def place(
        self, parts: PlacementParts, policy: CrashPolicy, settings: Settings
    ) -> PlaceRoundBet:
        # On the one road of a bet, built from the same parts as the bet queue's PlaceBet; one
        # per process, like the bet queue: crash bets that arrive together are placed together,
        # in batches as large and as many at once as the queue's.
        return parts.build(
            PlaceRoundBet,
            policy=policy,
            batch_size=settings.bet_batch_size,
            batches=settings.bet_batches,
        )

    @provide
    def cash_out(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        risk: RiskReview,
        points: CrashPoints,
        settings: Settings,
    ) -> CashOutRoundBet:
        # One per process too: cash-outs that arrive together are written together.
        return CashOutRoundBet(
            uow,
            clock,
            ids,
            house,
            risk=risk,
            points=points,
            batch_size=settings.bet_batch_size,
            batches=settings.bet_batches,
        )

    @provide
    def settle(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        risk: RiskReview,
        metrics: BetMetrics,
    ) -> SettleCrashedRound:
        return SettleCrashedRound(uow, clock, ids, house, risk=risk, metrics=metrics)

    @provide
    def driver(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        engine: AsyncEngine,
        settle: SettleCrashedRound,
        policy: CrashPolicy,
    ) -> CrashDriver:
        return CrashDriver(uow, clock, SqlLeaderLock(engine), settle, policy)

    get_round = provide(GetRound)

    @provide
    def feed(self, uow: UnitOfWorkFactory, settings: Settings) -> RoundFeed:
        return RoundFeed(uow, tick=settings.crash_tick_ms / 1000)
