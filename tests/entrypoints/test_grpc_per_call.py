"""What the gRPC door does per call and per message, kept to what must be per call (issue 19):
the interceptors build a method's wrappers once, an authenticated key is remembered for a
second (a revoked key still stops within the documented 5 s), a stream's and a batch's place
commands take no task each, and placing a bet opens no span when tracing is off (where the
request id is echoed: test_grpc_request_id_echo.py). The answers themselves are the other gRPC
tests' business; these count the work."""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from dishka import make_async_container

from adapters.postgres.api_keys import CACHE_SECONDS
from croupier.v1 import betting_pb2
from domain.access import ApiKey
from domain.money import XTR
from entrypoints.grpc import auth
from entrypoints.grpc.auth import ApiKeyInterceptor
from entrypoints.grpc.betting import BettingServicer
from entrypoints.grpc.server import _DishkaForKnownMethods
from entrypoints.grpc.undecodable import Undecodable, UndecodableRequestInterceptor
from entrypoints.observability import bets, tracing
from tests.entrypoints.grpc_calls import xtr


class _Details(grpc.HandlerCallDetails):  # type: ignore[misc]
    def __init__(self, method: str) -> None:
        self.method = method
        self.invocation_metadata = ()


async def _noop(request: Any, context: Any) -> None:
    return None


_HANDLER = grpc.unary_unary_rpc_method_handler(
    _noop,
    request_deserializer=betting_pb2.GetBetRequest.FromString,
    response_serializer=betting_pb2.BetResponse.SerializeToString,
)


async def _found(_: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
    return _HANDLER


@pytest.mark.parametrize(
    "interceptor",
    [
        UndecodableRequestInterceptor(),
        # GetBet is scoped: dishka wraps it, once for the method.
        _DishkaForKnownMethods(make_async_container(), BettingServicer.UNSCOPED),
    ],
    ids=["undecodable", "dishka"],
)
async def test_an_interceptor_wraps_a_methods_handler_once_not_per_call(interceptor):
    details = _Details("/croupier.v1.BettingService/GetBet")
    first = await interceptor.intercept_service(_found, details)
    again = await interceptor.intercept_service(_found, details)
    assert first is not _HANDLER
    assert again is first


async def test_a_new_handler_for_a_method_gets_a_new_wrapper():
    interceptor = UndecodableRequestInterceptor()
    details = _Details("/croupier.v1.BettingService/GetBet")
    first = await interceptor.intercept_service(_found, details)
    other = grpc.unary_unary_rpc_method_handler(
        _noop, request_deserializer=betting_pb2.GetBetRequest.FromString
    )

    async def found_other(_: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        return other

    second = await interceptor.intercept_service(found_other, details)
    assert second is not first
    # Still guarded: bytes that do not parse are a marker, not an exception.
    assert isinstance(second.request_deserializer(b"\xff"), Undecodable)


@pytest.mark.integration
@pytest.mark.usefixtures("books")
async def test_a_streams_place_commands_take_no_task_each(betting, md, player):
    pid = await player(1000)
    commands = [
        betting_pb2.BetCommand(
            correlation_id=str(i),
            place=betting_pb2.PlaceBetRequest(
                player_id=pid,
                bet_id=str(uuid.uuid4()),
                game="coin",
                stake=xtr(1),
                params={"side": "heads"},
            ),
        )
        for i in range(40)
    ]
    loop = asyncio.get_running_loop()
    ours: list[str] = []
    before = loop.get_task_factory()

    def counting(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kw: Any):
        code = getattr(coro, "cr_code", None)
        if code is not None and "entrypoints/grpc/" in code.co_filename:
            ours.append(code.co_qualname)
        if before is not None:
            return before(loop, coro, **kw)
        return asyncio.Task(coro, loop=loop, **kw)

    loop.set_task_factory(counting)
    try:
        results = [r async for r in betting.StreamBets(iter(commands), metadata=md)]
    finally:
        loop.set_task_factory(before)
    assert len(results) == 40
    assert all(result.HasField("ok") for result in results), results
    assert sum(r.ok.bet.stake.amount for r in results) == 40
    assert {r.ok.bet.stake.currency for r in results} == {XTR.code}
    # The stream's reader is the one task of the door's own: none per place command.
    assert len(ours) <= 2, ours


@pytest.mark.integration
@pytest.mark.usefixtures("books")
async def test_a_batchs_place_commands_take_no_task_each(betting, md, player):
    pid = await player(1000)
    bet_ids = [str(uuid.uuid4()) for _ in range(40)]
    commands = [
        betting_pb2.BetCommand(
            correlation_id=str(i),
            place=betting_pb2.PlaceBetRequest(
                player_id=pid, bet_id=bet_id, game="coin", stake=xtr(1), params={"side": "heads"}
            ),
        )
        for i, bet_id in enumerate(bet_ids)
    ]
    # One command the door cannot read: answered in its place, its neighbours placed.
    commands.insert(
        7,
        betting_pb2.BetCommand(
            correlation_id="bad",
            place=betting_pb2.PlaceBetRequest(
                player_id=pid, bet_id="not-a-uuid", game="coin", stake=xtr(1)
            ),
        ),
    )
    loop = asyncio.get_running_loop()
    ours: list[str] = []
    before = loop.get_task_factory()

    def counting(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kw: Any):
        code = getattr(coro, "cr_code", None)
        if code is not None and "entrypoints/grpc/" in code.co_filename:
            ours.append(code.co_qualname)
        if before is not None:
            return before(loop, coro, **kw)
        return asyncio.Task(coro, loop=loop, **kw)

    loop.set_task_factory(counting)
    try:
        answer = await betting.PlaceBatch(betting_pb2.BetBatch(commands=commands), metadata=md)
    finally:
        loop.set_task_factory(before)
    results = list(answer.results)
    # Every command answered, in order, each with its own bet.
    assert [r.correlation_id for r in results] == [c.correlation_id for c in commands]
    assert results[7].HasField("error")
    assert results[7].error.detail.field_violations[0].field == "bet_id"
    placed = results[:7] + results[8:]
    assert all(result.HasField("ok") for result in placed), placed
    assert [r.ok.bet.bet_id for r in placed] == bet_ids
    assert {r.ok.bet.stake.currency for r in placed} == {XTR.code}
    # The call's own task (grpc starts the handler in one) and none a place command (the
    # message's bets are one batch of the queue's, run in a task of the application's).
    assert len(ours) <= 1, ours


def test_placing_opens_no_span_when_tracing_is_off(monkeypatch):
    assert tracing.active() is None

    def no_span(*args: object, **kwargs: object) -> None:
        raise AssertionError("a span was opened with tracing off")

    monkeypatch.setattr(tracing, "internal_span", no_span)

    def place() -> None:
        with bets.placing(uuid.uuid4(), "grpc", "PlayInstant"):
            pass

    # In a context of its own, as a call's task is: the bet id it binds stays there.
    contextvars.copy_context().run(place)


class _Authenticate:
    """Answers with `key` (None: refused) and counts the calls."""

    def __init__(self, key: ApiKey | None) -> None:
        self.key = key
        self.calls = 0

    async def __call__(self, presented: str) -> ApiKey | None:
        self.calls += 1
        return self.key


def _key(expires_in: float | None = None) -> ApiKey:
    now = datetime.now(UTC)
    return ApiKey(
        key_id="0123456789ab",
        name="svc",
        secret_hash=b"",
        services=frozenset({"betting"}),
        created_at=now,
        expires_at=None if expires_in is None else now + timedelta(seconds=expires_in),
    )


async def _authorised(interceptor: ApiKeyInterceptor) -> bool:
    """Whether a call with the key reaches the method (the refusal is a different behaviour)."""
    details = _Details("/croupier.v1.BettingService/GetBet")
    details.invocation_metadata = (("x-api-key", "crp_0123456789ab_" + "s" * 43),)
    handler = await interceptor.intercept_service(_found, details)
    context = _Context()
    await handler.unary_unary(None, context)
    return context.aborted is None


class _Context:
    def __init__(self) -> None:
        self.aborted: grpc.StatusCode | None = None

    async def abort(self, code: grpc.StatusCode, message: str) -> None:
        self.aborted = code


async def test_an_authenticated_key_is_remembered_for_a_second_then_checked_again():
    clock = [1000.0]
    authenticate = _Authenticate(_key())
    interceptor = ApiKeyInterceptor(authenticate, monotonic=lambda: clock[0])  # type: ignore[arg-type]
    assert await _authorised(interceptor)
    assert await _authorised(interceptor)
    assert authenticate.calls == 1  # the second call's key was not parsed and hashed again
    authenticate.key = None  # revoked (as the store sees it)
    clock[0] += auth.AUTHENTICATED_SECONDS - 0.01
    assert await _authorised(interceptor)
    clock[0] += 0.02
    assert not await _authorised(interceptor)
    assert not await _authorised(interceptor)
    assert authenticate.calls == 3  # a refused key is never remembered


async def test_a_key_is_not_remembered_past_its_expiry():
    clock = [1000.0]
    authenticate = _Authenticate(_key(expires_in=0.2))
    interceptor = ApiKeyInterceptor(authenticate, monotonic=lambda: clock[0])  # type: ignore[arg-type]
    assert await _authorised(interceptor)
    clock[0] += 0.3
    authenticate.key = None  # expired: the store's key no longer authenticates
    assert not await _authorised(interceptor)
    assert authenticate.calls == 2


def test_a_revoked_key_stops_within_the_documented_five_seconds():
    # docs/operations.md and docs/api-grpc.md say 5 s: the store's cache and the door's memo.
    assert CACHE_SECONDS + auth.AUTHENTICATED_SECONDS <= 5.0
