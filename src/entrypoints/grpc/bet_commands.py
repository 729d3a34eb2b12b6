"""A `StreamBets` or `PlaceBatch` call's commands, and the translations every BettingService
method shares: a request into its use case's command, a receipt into its answer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import grpc
from dishka import AsyncContainer

from application import betting as bets
from application.betting import (
    BetReceipt,
    PlaceBetCommand,
    SettleDiceBetCommand,
    VoidBetCommand,
)
from application.betting.queue import BetQueue
from croupier.v1 import betting_pb2, common_pb2
from domain.access import KeyNotAllowed
from domain.errors import DomainError
from domain.money import CurrencyRegistry
from entrypoints.grpc import translate
from entrypoints.grpc.auth import current_key
from entrypoints.grpc.bet_stream import STREAM_CONCURRENCY
from entrypoints.grpc.errors import (
    INTERNAL_MESSAGE,
    FieldError,
    rich_status,
    status_code_for,
)
from entrypoints.observability import tracing
from entrypoints.observability.bets import placement_seconds, placing
from entrypoints.observability.context import bet_id, bind_bet
from entrypoints.observability.metrics import DOMAIN_ERRORS

log = logging.getLogger(__name__)


def response_fields(receipt: BetReceipt) -> dict[str, Any]:
    """A `betting_pb2.BetResponse`'s fields as nested dicts (`translate.bet_fields`): the
    answer, or a stream's or batch's result holding it, is then one constructor call that
    builds every sub-message in place instead of copying built ones in, level by level."""
    balance = receipt.balance
    return {
        "bet": translate.bet_fields(receipt.bet),
        "balance": {"amount": balance.amount, "currency": balance.currency.code},
        "replayed": receipt.replayed,
    }


def bet_response(receipt: BetReceipt) -> betting_pb2.BetResponse:
    return betting_pb2.BetResponse(**response_fields(receipt))


def _ok_fields(command: betting_pb2.BetCommand, receipt: BetReceipt) -> dict[str, Any]:
    """A `BetResult`'s fields, as `response_fields` gives a response's."""
    return {"correlation_id": command.correlation_id, "ok": response_fields(receipt)}


def _ok(command: betting_pb2.BetCommand, receipt: BetReceipt) -> betting_pb2.BetResult:
    # Keyword arguments as a dict: the stubs type `ok` as a built message only.
    return betting_pb2.BetResult(**_ok_fields(command, receipt))


# A batch's result: a built `BetResult`, or one's fields (`_ok_fields`) that the batch's
# answer builds in place (`batch_result`).
BatchResult = betting_pb2.BetResult | dict[str, Any]


def batch_result(results: Sequence[BatchResult]) -> betting_pb2.BetBatchResult:
    """The batch's answer in one constructor call: a result given as fields is built in place
    in the answer's repeated field, where a built one is copied in."""
    fields: dict[str, Any] = {"results": results}  # the stubs take built messages only
    return betting_pb2.BetBatchResult(**fields)


def place_command(
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


def settle_command(request: betting_pb2.SettleBetRequest) -> SettleDiceBetCommand:
    if not request.HasField("dice"):
        raise FieldError("dice", "settling needs the dice the bot sent")
    return SettleDiceBetCommand(
        bet_id=translate.bet_id(request.bet_id),
        chat_id=request.dice.chat_id,
        message_id=request.dice.message_id,
        value=request.dice.value,
        submitted_by=f"service:{current_key.get().name}",
    )


def void_command(request: betting_pb2.VoidBetRequest) -> VoidBetCommand:
    return VoidBetCommand(translate.bet_id(request.bet_id), request.reason)


# A place command of a stream or a batch once translated and queued: its command and its
# answer to come, or the reason its request could not be read.
_Placed = tuple[PlaceBetCommand, asyncio.Future[BetReceipt]] | DomainError


class BetCommands:
    """What a stream or a batch needs to run its commands, resolved once for it, never per
    command: the bet queue and the currencies (one per process), and the settle and void use
    cases from a dishka scope of its own, opened at its first settle or void command (a
    stream of bets only never opens one). `close` closes that scope."""

    def __init__(
        self,
        container: AsyncContainer,
        queue: BetQueue,
        currencies: CurrencyRegistry,
        method: str,
    ) -> None:
        self._container = container
        self._queue = queue
        self._currencies = currencies
        self._method = method
        self._scope: contextlib.AsyncExitStack | None = None
        self._posters: tuple[bets.SettleDiceBet, bets.VoidBet] | None = None
        self._resolving = asyncio.Lock()
        # Settle and void commands each hold a connection while they run: at most this many
        # at once; more wait.
        self._posting = asyncio.Semaphore(STREAM_CONCURRENCY)

    async def close(self) -> None:
        if self._scope is not None:
            await self._scope.aclose()

    def submit_places(self, commands: Sequence[betting_pb2.BetCommand]) -> list[_Placed | None]:
        """The place commands among `commands`, translated and handed to the bet queue
        together: one batch of their own (one snapshot read and one write for the message);
        None for the other commands."""
        prepared: list[PlaceBetCommand | DomainError | None] = []
        for command in commands:
            if command.WhichOneof("command") != "place":
                prepared.append(None)
                continue
            try:
                prepared.append(place_command(command.place, self._currencies, instant_only=False))
            except DomainError as error:
                prepared.append(error)
        answers = iter(
            self._queue.submit(
                (p for p in prepared if isinstance(p, PlaceBetCommand)), together=True
            )
        )
        return [(p, next(answers)) if isinstance(p, PlaceBetCommand) else p for p in prepared]

    async def result(
        self, command: betting_pb2.BetCommand, placed: _Placed | None = None
    ) -> betting_pb2.BetResult:
        """One command's result: the bet and balance, or the status it would have failed with
        as a unary call. A place command is `placed` already (`submit_places`) or placed
        here."""
        try:
            return _ok(command, await self._run(command, placed))
        except Exception as error:
            return self._failed(command, error)

    async def results(
        self, commands: Sequence[betting_pb2.BetCommand], placed: Sequence[_Placed | None]
    ) -> list[BatchResult]:
        """Every command's result, in the commands' order, as `result` gives it (a batch's;
        a placed bet's as its fields, for `batch_result`).
        A place command queued by `submit_places` is answered from its future, without a task
        of its own (a task a bet was a batch's largest cost after the bets' own work); settle
        and void commands each run in a task. A traced process gives each place command a task
        too, so its span wraps its placement (`placing`)."""
        if tracing.active() is not None:
            return await asyncio.gather(
                *(self.result(c, p) for c, p in zip(commands, placed, strict=True))
            )
        results: list[BatchResult | None] = [None] * len(commands)
        waiting: list[asyncio.Future[Any]] = []
        queued: list[tuple[int, PlaceBetCommand, asyncio.Future[BetReceipt]]] = []
        tasks: list[tuple[int, asyncio.Future[betting_pb2.BetResult]]] = []
        started = time.perf_counter()
        seconds = placement_seconds("grpc", self._method)

        def timed(_: asyncio.Future[BetReceipt]) -> None:
            seconds.observe(time.perf_counter() - started)

        for i, (command, prepared) in enumerate(zip(commands, placed, strict=True)):
            if prepared is None:
                posting = asyncio.ensure_future(self.result(command))
                tasks.append((i, posting))
                waiting.append(posting)
            elif isinstance(prepared, DomainError):
                results[i] = self._failed(command, prepared)
            else:
                place, answer = prepared
                answer.add_done_callback(timed)
                queued.append((i, place, answer))
                waiting.append(answer)
        # One wait for all of them; cancelling the call cancels each bet's own answer (the
        # queue still places or refuses it), as cancelling its task did.
        await asyncio.gather(*waiting, return_exceptions=True)
        for i, place, answer in queued:
            error = (
                RuntimeError("a queued bet's answer was cancelled")
                if answer.cancelled()
                else answer.exception()
            )
            if error is None:
                results[i] = _ok_fields(commands[i], answer.result())
                continue
            token = bet_id.set(str(place.bet_id))  # the log line of a failure names its bet
            try:
                results[i] = self._failed(commands[i], error)
            finally:
                bet_id.reset(token)
        for i, posted in tasks:
            results[i] = posted.result()
        answered = [result for result in results if result is not None]
        assert len(answered) == len(results), "every command of a batch is answered"
        return answered

    def place_streamed(
        self, command: betting_pb2.BetCommand, deliver: Callable[[betting_pb2.BetResult], None]
    ) -> None:
        """A stream's place command handed to the bet queue without a task of its own: its
        result goes to `deliver` from the answer's done callback (a task a message was the
        stream's largest per-message cost after grpc's own). Timed as `placing` times a bet;
        no span is opened here (a traced process takes `result`, which opens one)."""
        started = time.perf_counter()
        try:
            place = place_command(command.place, self._currencies, instant_only=False)
            # The queue runs a bet that goes alone in a copy of this context: it carries the
            # bet's id there, and only there (the stream's next command is another bet).
            token = bet_id.set(str(place.bet_id))
            try:
                (answer,) = self._queue.submit([place])
            finally:
                bet_id.reset(token)
        except Exception as error:
            deliver(self._failed(command, error))
            return
        seconds = placement_seconds("grpc", self._method)

        def answered(answer: asyncio.Future[BetReceipt]) -> None:
            seconds.observe(time.perf_counter() - started)
            # Nobody cancels a streamed bet's answer (the queue answers every bet it took);
            # were one cancelled, its command still gets a result, so the stream can end.
            error = (
                RuntimeError("a queued bet's answer was cancelled")
                if answer.cancelled()
                else answer.exception()
            )
            deliver(
                _ok(command, answer.result()) if error is None else self._failed(command, error)
            )

        answer.add_done_callback(answered)

    def _failed(
        self, command: betting_pb2.BetCommand, error: BaseException
    ) -> betting_pb2.BetResult:
        if isinstance(error, DomainError):
            return betting_pb2.BetResult(
                correlation_id=command.correlation_id, error=_bet_error(error)
            )
        # One command's failure ends neither the call nor its neighbours, and its text stays
        # in our log.
        log.error("a %s command failed", self._method, exc_info=error)
        return betting_pb2.BetResult(
            correlation_id=command.correlation_id,
            error=betting_pb2.BetError(
                code=grpc.StatusCode.INTERNAL.value[0],
                message=INTERNAL_MESSAGE,
                detail=common_pb2.ErrorDetail(reason="internal"),
            ),
        )

    async def _run(self, command: betting_pb2.BetCommand, placed: _Placed | None) -> BetReceipt:
        # Each command runs in a task of its own: the bet id it binds is its alone.
        kind = command.WhichOneof("command")
        if kind == "place":
            if placed is None:  # a stream's command, placed as it arrives
                place = place_command(command.place, self._currencies, instant_only=False)
                with placing(place.bet_id, "grpc", self._method):
                    return await self._queue(place)
            if isinstance(placed, DomainError):
                raise placed
            place, answer = placed
            with placing(place.bet_id, "grpc", self._method):
                return await answer
        if kind not in ("settle", "void"):
            raise FieldError("command", "a command is one of place, settle or void")
        if kind == "settle" and not current_key.get().may_call("dice"):
            raise KeyNotAllowed("submitting a dice value needs the dice scope")
        async with self._posting:
            settle, void = await self._resolved()
            if kind == "settle":
                settling = settle_command(command.settle)
                bind_bet(settling.bet_id)
                return await settle(settling)
            voiding = void_command(command.void)
            bind_bet(voiding.bet_id)
            return await void(voiding)

    async def _resolved(self) -> tuple[bets.SettleDiceBet, bets.VoidBet]:
        async with self._resolving:
            if self._posters is None:
                self._scope = contextlib.AsyncExitStack()
                scope = await self._scope.enter_async_context(self._container())
                self._posters = (
                    await scope.get(bets.SettleDiceBet),
                    await scope.get(bets.VoidBet),
                )
            return self._posters


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
