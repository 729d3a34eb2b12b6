"""BettingService: the bet lifecycle for game servers, one call or many over a stream."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine

import grpc
from dishka import AsyncContainer
from dishka.integrations.grpcio import FromDishka, inject

from application import betting as bets
from application.betting import (
    BetReceipt,
    PlaceBetCommand,
    SettleDiceBetCommand,
    VoidBetCommand,
)
from application.betting.queue import BetQueue
from croupier.v1 import betting_pb2, betting_pb2_grpc, common_pb2
from domain.access import KeyNotAllowed
from domain.errors import DomainError
from domain.money import CurrencyRegistry
from entrypoints.grpc import translate
from entrypoints.grpc.auth import current_key
from entrypoints.grpc.errors import (
    INTERNAL_MESSAGE,
    FieldError,
    guarded,
    rich_status,
    status_code_for,
)
from entrypoints.observability.bets import placing
from entrypoints.observability.context import bind_bet
from entrypoints.observability.metrics import DOMAIN_ERRORS

log = logging.getLogger(__name__)

# Settle and void commands of one stream processed at once (each holds a connection); more
# wait, which is the stream's back-pressure.
STREAM_CONCURRENCY = 32
# Place commands of one stream in flight at once: they wait in the process's `BetQueue`,
# which places them in batches, so many can be in flight without a connection each.
STREAM_PLACES = 256


def _response(receipt: BetReceipt) -> betting_pb2.BetResponse:
    return betting_pb2.BetResponse(
        bet=translate.bet_message(receipt.bet),
        balance=translate.money_message(receipt.balance),
        replayed=receipt.replayed,
    )


def _place_command(
    request: betting_pb2.PlaceBetRequest, currencies: CurrencyRegistry, *, instant_only: bool
) -> PlaceBetCommand:
    return PlaceBetCommand(
        player_id=translate.player_id(request.player_id),
        bet_id=translate.bet_id(request.bet_id),
        game=translate.game(request.game),
        stake=translate.money(currencies, request.stake, "stake"),
        params=dict(request.params),
        instant_only=instant_only,
    )


def _settle_command(request: betting_pb2.SettleBetRequest) -> SettleDiceBetCommand:
    if not request.HasField("dice"):
        raise FieldError("dice", "settling needs the dice the bot sent")
    return SettleDiceBetCommand(
        bet_id=translate.bet_id(request.bet_id),
        chat_id=request.dice.chat_id,
        message_id=request.dice.message_id,
        value=request.dice.value,
        submitted_by=f"service:{current_key.get().name}",
    )


def _void_command(request: betting_pb2.VoidBetRequest) -> VoidBetCommand:
    return VoidBetCommand(translate.bet_id(request.bet_id), request.reason)


class BettingServicer(betting_pb2_grpc.BettingServiceServicer):
    def __init__(self, container: AsyncContainer) -> None:
        self._container = container

    @guarded
    @inject
    async def PlaceBet(
        self,
        request: betting_pb2.PlaceBetRequest,
        context: grpc.aio.ServicerContext,
        place: FromDishka[BetQueue],
        currencies: FromDishka[CurrencyRegistry],
    ) -> betting_pb2.BetResponse:
        command = _place_command(request, currencies, instant_only=False)
        with placing(command.bet_id, "grpc", "PlaceBet"):
            return _response(await place(command))

    @guarded
    @inject
    async def PlayInstant(
        self,
        request: betting_pb2.PlaceBetRequest,
        context: grpc.aio.ServicerContext,
        place: FromDishka[BetQueue],
        currencies: FromDishka[CurrencyRegistry],
    ) -> betting_pb2.BetResponse:
        command = _place_command(request, currencies, instant_only=True)
        with placing(command.bet_id, "grpc", "PlayInstant"):
            return _response(await place(command))

    @guarded
    @inject
    async def SettleBet(
        self,
        request: betting_pb2.SettleBetRequest,
        context: grpc.aio.ServicerContext,
        settle: FromDishka[bets.SettleDiceBet],
    ) -> betting_pb2.BetResponse:
        command = _settle_command(request)
        bind_bet(command.bet_id)
        return _response(await settle(command))

    @guarded
    @inject
    async def VoidBet(
        self,
        request: betting_pb2.VoidBetRequest,
        context: grpc.aio.ServicerContext,
        void: FromDishka[bets.VoidBet],
    ) -> betting_pb2.BetResponse:
        command = _void_command(request)
        bind_bet(command.bet_id)
        return _response(await void(command))

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
        return _response(await get_bet(bet_id))

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
        async with self._container() as scope:
            currencies = await scope.get(CurrencyRegistry)
            queue = await scope.get(BetQueue)
        slots = asyncio.Semaphore(STREAM_CONCURRENCY)
        place_slots = asyncio.Semaphore(STREAM_PLACES)
        results: asyncio.Queue[betting_pb2.BetResult | None] = asyncio.Queue()
        running: set[asyncio.Task[None]] = set()

        def spawn(work: Coroutine[None, None, None]) -> None:
            task = asyncio.create_task(work)
            running.add(task)
            task.add_done_callback(running.discard)

        async def run(command: betting_pb2.BetCommand, slot: asyncio.Semaphore) -> None:
            try:
                await results.put(await self._execute(command, queue, currencies))
            finally:
                slot.release()

        async def feed() -> None:
            try:
                async for command in request_iterator:
                    slot = place_slots if command.WhichOneof("command") == "place" else slots
                    await slot.acquire()
                    spawn(run(command, slot))
            finally:
                # Every command read has its result, even when the request stream broke (a
                # frame that does not parse): the client learns what happened to each before
                # the stream fails with the error (below).
                while running:
                    await asyncio.gather(*list(running), return_exceptions=True)
                results.put_nowait(None)

        feeder = asyncio.create_task(feed())
        try:
            while (result := await results.get()) is not None:
                yield result
            await feeder  # surfaces a failure of the request stream itself
        finally:
            feeder.cancel()
            for task in list(running):
                task.cancel()

    async def _execute(
        self,
        command: betting_pb2.BetCommand,
        queue: BetQueue,
        currencies: CurrencyRegistry,
    ) -> betting_pb2.BetResult:
        result = betting_pb2.BetResult(correlation_id=command.correlation_id)
        try:
            # Each command runs in a task of its own: the bet id it binds is its alone.
            kind = command.WhichOneof("command")
            if kind == "place":
                place = _place_command(command.place, currencies, instant_only=False)
                with placing(place.bet_id, "grpc", "StreamBets"):
                    receipt = await queue(place)
            elif kind in ("settle", "void"):
                async with self._container() as scope:
                    if kind == "settle":
                        if not current_key.get().may_call("dice"):
                            raise KeyNotAllowed("submitting a dice value needs the dice scope")
                        settle_command = _settle_command(command.settle)
                        bind_bet(settle_command.bet_id)
                        settle = await scope.get(bets.SettleDiceBet)
                        receipt = await settle(settle_command)
                    else:
                        void_command = _void_command(command.void)
                        bind_bet(void_command.bet_id)
                        void = await scope.get(bets.VoidBet)
                        receipt = await void(void_command)
            else:
                raise FieldError("command", "a command is one of place, settle or void")
            result.ok.CopyFrom(_response(receipt))
        except DomainError as error:
            result.error.CopyFrom(_bet_error(error))
        except Exception:
            # One command's failure ends neither the stream nor its neighbours, and its text
            # stays in our log.
            log.exception("a StreamBets command failed")
            result.error.CopyFrom(
                betting_pb2.BetError(
                    code=grpc.StatusCode.INTERNAL.value[0],
                    message=INTERNAL_MESSAGE,
                    detail=common_pb2.ErrorDetail(reason="internal"),
                )
            )
        return result


def _bet_error(error: DomainError) -> betting_pb2.BetError:
    DOMAIN_ERRORS.labels("grpc", error.code).inc()
    _, status = rich_status(error)
    field_violations = (
        [common_pb2.FieldViolation(field=error.field, description=error.message)]
        if isinstance(error, FieldError)
        else []
    )
    return betting_pb2.BetError(
        code=status_code_for(error).value[0],
        message=status.message,
        detail=common_pb2.ErrorDetail(reason=error.code, field_violations=field_violations),
    )
