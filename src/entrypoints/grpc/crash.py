"""CrashService: bets on the shared crash rounds, cash-outs, the rounds and their live stream.

Every method uses what the process holds once (the use cases and the round feed are one per
process, like the bet queue): none opens a dishka scope per call (`UNSCOPED`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from dishka import AsyncContainer

from application.crash import (
    CashOutCommand,
    CashOutRoundBet,
    Disconnected,
    GetRound,
    PlaceRoundBet,
    PlaceRoundBetCommand,
    RoundEvent,
    RoundEventKind,
    RoundFeed,
)
from application.crash.get import RoundView
from croupier.v1 import crash_pb2, crash_pb2_grpc
from domain.crash_rounds import CrashChain, CrashRound, RoundPhase
from domain.games.base import format_hundredths
from domain.money import CurrencyRegistry
from entrypoints.grpc import translate
from entrypoints.grpc.errors import guarded
from entrypoints.observability.bets import placing

_PHASES = {
    RoundPhase.BETTING: crash_pb2.ROUND_PHASE_BETTING,
    RoundPhase.RUNNING: crash_pb2.ROUND_PHASE_RUNNING,
    RoundPhase.CRASHED: crash_pb2.ROUND_PHASE_CRASHED,
}
_KINDS = {
    RoundEventKind.BETTING_OPEN: crash_pb2.ROUND_EVENT_KIND_BETTING_OPEN,
    RoundEventKind.STARTED: crash_pb2.ROUND_EVENT_KIND_STARTED,
    RoundEventKind.CASHED_OUT: crash_pb2.ROUND_EVENT_KIND_CASHED_OUT,
    RoundEventKind.CRASHED: crash_pb2.ROUND_EVENT_KIND_CRASHED,
}


def round_message(round_: CrashRound, chain: CrashChain) -> crash_pb2.CrashRound:
    return crash_pb2.CrashRound(
        round_id=round_.id,
        number=round_.number,
        phase=_PHASES[round_.phase],
        betting_ends_at=translate.timestamp(round_.betting_ends_at),
        started_at=translate.timestamp(round_.started_at),
        crashed_at=translate.timestamp(round_.crashed_at),
        crash_point="" if round_.crash_point is None else format_hundredths(round_.crash_point),
        round_hash=round_.round_hash or "",
        chain_end=chain.end_hash,
        salt=chain.salt or "",
    )


def event_message(event: RoundEvent) -> crash_pb2.RoundEvent:
    seat = event.seat
    return crash_pb2.RoundEvent(
        kind=_KINDS[event.kind],
        round=round_message(event.round, event.chain),
        bet_id="" if seat is None else str(seat.bet_id),
        player_id="" if seat is None else str(seat.player_id),
        multiplier=""
        if seat is None or seat.cash_out is None
        else format_hundredths(seat.cash_out.multiplier),
    )


class CrashServicer(crash_pb2_grpc.CrashServiceServicer):
    UNSCOPED = frozenset(
        f"/croupier.v1.CrashService/{name}"
        for name in ("PlaceBet", "CashOut", "GetRound", "StreamRounds")
    )

    def __init__(self, container: AsyncContainer) -> None:
        self._container = container

    async def _chain(self, view_round: CrashRound) -> CrashChain:
        view: RoundView = await (await self._container.get(GetRound))(view_round.id)
        return view.chain

    @guarded
    async def PlaceBet(
        self, request: crash_pb2.CrashBetRequest, context: grpc.aio.ServicerContext
    ) -> crash_pb2.CrashBetResponse:
        currencies = await self._container.get(CurrencyRegistry)
        place = await self._container.get(PlaceRoundBet)
        target = request.auto_cash_out.strip()
        command = PlaceRoundBetCommand(
            player_id=translate.player_id(request.player_id),
            bet_id=translate.bet_id(request.bet_id),
            stake=translate.money(currencies, request.stake, "stake"),
            params={"target": target} if target else {},
        )
        with placing(command.bet_id, "grpc", "CrashService.PlaceBet"):
            placed = await place(command)
        receipt = placed.receipt
        return crash_pb2.CrashBetResponse(
            bet=translate.bet_message(receipt.bet),
            balance=translate.money_message(receipt.balance),
            replayed=receipt.replayed,
            round=round_message(placed.round, await self._chain(placed.round)),
        )

    @guarded
    async def CashOut(
        self, request: crash_pb2.CashOutRequest, context: grpc.aio.ServicerContext
    ) -> crash_pb2.CrashBetResponse:
        cash_out = await self._container.get(CashOutRoundBet)
        done = await cash_out(
            CashOutCommand(translate.player_id(request.player_id), translate.bet_id(request.bet_id))
        )
        receipt = done.receipt
        return crash_pb2.CrashBetResponse(
            bet=translate.bet_message(receipt.bet),
            balance=translate.money_message(receipt.balance),
            replayed=receipt.replayed,
            round=round_message(done.round, await self._chain(done.round)),
            cashed_out_at=format_hundredths(done.multiplier),
        )

    @guarded
    async def GetRound(
        self, request: crash_pb2.GetRoundRequest, context: grpc.aio.ServicerContext
    ) -> crash_pb2.CrashRound:
        get = await self._container.get(GetRound)
        view = await get(request.round_id or None)
        return round_message(view.round, view.chain)

    async def StreamRounds(
        self, request: crash_pb2.StreamRoundsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[crash_pb2.RoundEvent]:
        feed = await self._container.get(RoundFeed)
        try:
            async for event in feed.listen():
                yield event_message(event)
        except Disconnected as error:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(error))
