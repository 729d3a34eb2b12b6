"""BettingService: the bet lifecycle for game servers, one call or many over a stream (what a
stream's or a batch's commands share, and the translations: `entrypoints.grpc.bet_commands`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from dishka import AsyncContainer
from dishka.integrations.grpcio import FromDishka, inject

from application import betting as bets
from application.betting import BetReceipt
from application.betting.queue import BetQueue
from croupier.v1 import betting_pb2, betting_pb2_grpc
from domain.money import CurrencyRegistry
from entrypoints.grpc import translate
from entrypoints.grpc.bet_commands import (
    BetCommands,
    batch_result,
    bet_response,
    place_command,
    settle_command,
    void_command,
)
from entrypoints.grpc.bet_stream import stream_results
from entrypoints.grpc.errors import FieldError, guarded
from entrypoints.observability.bets import placing
from entrypoints.observability.context import bind_bet

# The most commands one PlaceBatch call may carry.
BATCH_LIMIT = 1000


class BettingServicer(betting_pb2_grpc.BettingServiceServicer):
    """Placing bets needs only what the process holds once (the bet queue, the currencies):
    those methods open no dishka scope per call (`UNSCOPED`, which the server's dishka
    interceptor leaves alone); a stream or a batch opens one scope for its settle and void
    commands, if it has any."""

    UNSCOPED = frozenset(
        f"/croupier.v1.BettingService/{name}"
        for name in ("PlaceBet", "PlayInstant", "StreamBets", "PlaceBatch")
    )

    def __init__(self, container: AsyncContainer) -> None:
        self._container = container
        self._held: tuple[BetQueue, CurrencyRegistry] | None = None

    async def _process(self) -> tuple[BetQueue, CurrencyRegistry]:
        """The bet queue and the currencies, one per process: resolved at the first call."""
        if self._held is None:
            container = self._container
            self._held = (await container.get(BetQueue), await container.get(CurrencyRegistry))
        return self._held

    async def _commands(self, method: str) -> BetCommands:
        queue, currencies = await self._process()
        return BetCommands(self._container, queue, currencies, method)

    async def _place(self, request: betting_pb2.PlaceBetRequest, method: str) -> BetReceipt:
        # Held after the first call: no coroutine a bet to fetch it.
        queue, currencies = self._held or await self._process()
        command = place_command(request, currencies, instant_only=method == "PlayInstant")
        with placing(command.bet_id, "grpc", method):
            return await queue(command)

    @guarded
    async def PlaceBet(
        self, request: betting_pb2.PlaceBetRequest, context: grpc.aio.ServicerContext
    ) -> betting_pb2.BetResponse:
        return bet_response(await self._place(request, "PlaceBet"))

    @guarded
    async def PlayInstant(
        self, request: betting_pb2.PlaceBetRequest, context: grpc.aio.ServicerContext
    ) -> betting_pb2.BetResponse:
        return bet_response(await self._place(request, "PlayInstant"))

    @guarded
    @inject
    async def SettleBet(
        self,
        request: betting_pb2.SettleBetRequest,
        context: grpc.aio.ServicerContext,
        settle: FromDishka[bets.SettleDiceBet],
    ) -> betting_pb2.BetResponse:
        command = settle_command(request)
        bind_bet(command.bet_id)
        return bet_response(await settle(command))

    @guarded
    @inject
    async def VoidBet(
        self,
        request: betting_pb2.VoidBetRequest,
        context: grpc.aio.ServicerContext,
        void: FromDishka[bets.VoidBet],
    ) -> betting_pb2.BetResponse:
        command = void_command(request)
        bind_bet(command.bet_id)
        return bet_response(await void(command))

    @guarded
    @inject
    async def GetBet(
        self,
        request: betting_pb2.GetBetRequest,
        context: grpc.aio.ServicerContext,
        get_bet: FromDishka[bets.GetBet],
    ) -> betting_pb2.BetResponse:
        bet_id = translate.bet_id(request.bet_id)
        bind_bet(bet_id)
        return bet_response(await get_bet(bet_id))

    @guarded
    async def PlaceBatch(
        self, request: betting_pb2.BetBatch, context: grpc.aio.ServicerContext
    ) -> betting_pb2.BetBatchResult:
        """Every command answered as `StreamBets` answers it, in the commands' order. The place
        commands are queued together before any runs, as one batch of their own (one
        transaction, whatever `CROUPIER_BET_BATCH_SIZE`) rather than the first going alone."""
        if len(request.commands) > BATCH_LIMIT:
            raise FieldError(
                "commands",
                f"a batch holds at most {BATCH_LIMIT} commands, this one {len(request.commands)};"
                " split it",
            )
        commands = await self._commands("PlaceBatch")
        try:
            placed = commands.submit_places(request.commands)
            results = await commands.results(request.commands, placed)
        finally:
            await commands.close()
        return batch_result(results)

    async def StreamBets(
        self,
        request_iterator: AsyncIterator[betting_pb2.BetCommand],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[betting_pb2.BetResult]:
        """Each command runs as it arrives and its result is yielded as it finishes, tagged
        with its correlation id. Place commands go through the process's `BetQueue`, so bets
        that arrive together (from this stream and any other call) share transactions; up to
        STREAM_PLACES of them are in flight per stream. Settle and void commands each run as
        their own unit of work, up to STREAM_CONCURRENCY at a time."""
        commands = await self._commands("StreamBets")
        async for result in stream_results(commands, request_iterator):
            yield result
