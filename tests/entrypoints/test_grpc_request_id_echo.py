"""Where a gRPC call's request id is sent back (`CROUPIER_GRPC_ECHO_REQUEST_ID`), over a real
grpc.aio channel through the door's own interceptors (request id, API key, undecodable guard)
and its error mapping: `trailing` (the default) puts it in the trailing metadata on every
ending - an answer, a domain refusal (whose rich status details travel there too), an
internal failure, an API-key refusal, undecodable bytes, a stream's end and a stream cut
short; `initial` puts it in the initial metadata (and not the trailing); `off` sends it
nowhere."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from application.access import Authenticate
from croupier.v1 import betting_pb2, betting_pb2_grpc
from domain.access import ApiKey, hash_secret
from domain.errors import InsufficientFunds
from entrypoints.grpc.auth import ApiKeyInterceptor
from entrypoints.grpc.errors import guarded
from entrypoints.grpc.observability import ObservabilityInterceptor
from entrypoints.grpc.undecodable import UndecodableRequestInterceptor
from entrypoints.settings import RequestIdEcho

_SECRET = "s" * 43
_KEY = ApiKey(
    "e1e1e1e1e1e1", "echo", hash_secret(_SECRET), frozenset({"betting"}), datetime.now(UTC)
)
_SERVICE = "croupier.v1.BettingService"
_REQUEST_ID = "x-request-id"


class _Store:
    async def find(self, key_id: str) -> ApiKey | None:
        return _KEY if key_id == _KEY.key_id else None


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class _Servicer(betting_pb2_grpc.BettingServiceServicer):  # type: ignore[misc]
    """GetBet answers, refuses (a domain error) or fails (any other error) by its bet id."""

    @guarded
    async def GetBet(
        self, request: betting_pb2.GetBetRequest, context: grpc.aio.ServicerContext
    ) -> betting_pb2.BetResponse:
        if request.bet_id == "refuse":
            raise InsufficientFunds("not enough")
        if request.bet_id == "fail":
            raise RuntimeError("a bug")
        return betting_pb2.BetResponse()

    async def StreamBets(
        self, requests: AsyncIterator[betting_pb2.BetCommand], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[betting_pb2.BetResult]:
        async for command in requests:
            yield betting_pb2.BetResult(correlation_id=command.correlation_id)


async def _serve(echo: RequestIdEcho | None) -> tuple[grpc.aio.Server, int]:
    observability = (
        ObservabilityInterceptor()
        if echo is None
        else ObservabilityInterceptor(echo_request_id=echo)
    )
    server = grpc.aio.server(
        interceptors=[
            observability,
            ApiKeyInterceptor(Authenticate(_Store(), _Clock())),  # type: ignore[arg-type]
            UndecodableRequestInterceptor(),
        ]
    )
    betting_pb2_grpc.add_BettingServiceServicer_to_server(_Servicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port


@pytest.fixture
async def channel(request: pytest.FixtureRequest) -> AsyncIterator[grpc.aio.Channel]:
    server, port = await _serve(getattr(request, "param", None))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as opened:
            yield opened
    finally:
        await server.stop(None)


def _metadata(request_id: str, *, key: bool = True) -> tuple[tuple[str, str], ...]:
    presented = (("x-api-key", f"crp_{_KEY.key_id}_{_SECRET}"),) if key else ()
    return (*presented, (_REQUEST_ID, request_id))


def _ids(metadata: Any) -> list[str]:
    return [value for key, value in metadata or () if key == _REQUEST_ID]


async def _unary(
    channel: grpc.aio.Channel, payload: bytes, request_id: str, *, key: bool = True
) -> tuple[Any, Any, grpc.StatusCode, grpc.aio.AioRpcError | None]:
    """(initial metadata, trailing metadata, status, the error if any) of a GetBet."""
    call = channel.unary_unary(f"/{_SERVICE}/GetBet")(
        payload, metadata=_metadata(request_id, key=key)
    )
    error = None
    try:
        await call
    except grpc.aio.AioRpcError as raised:
        error = raised
    return await call.initial_metadata(), await call.trailing_metadata(), await call.code(), error


def _get(bet_id: str) -> bytes:
    return betting_pb2.GetBetRequest(bet_id=bet_id).SerializeToString()


async def test_trailing_is_the_default_and_an_answer_carries_the_id_there(channel):
    initial, trailing, code, _ = await _unary(channel, _get("ok"), "req-ok")
    assert code == grpc.StatusCode.OK
    assert _ids(trailing) == ["req-ok"]
    assert _ids(initial) == []


async def test_a_domain_refusal_carries_the_id_and_its_rich_status(channel):
    _, trailing, code, error = await _unary(channel, _get("refuse"), "req-refused")
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert _ids(trailing) == ["req-refused"]
    # The refusal's own trailing metadata (google.rpc.Status) was added to the echo, not
    # dropped for it.
    assert error is not None
    status = rpc_status.from_call(error)
    assert status is not None
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert info.reason == "INSUFFICIENT_FUNDS"


async def test_an_internal_failure_carries_the_id(channel):
    _, trailing, code, _ = await _unary(channel, _get("fail"), "req-failed")
    assert code == grpc.StatusCode.INTERNAL
    assert _ids(trailing) == ["req-failed"]


async def test_an_unauthenticated_call_carries_the_id(channel):
    _, trailing, code, _ = await _unary(channel, _get("ok"), "req-nokey", key=False)
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert _ids(trailing) == ["req-nokey"]


async def test_undecodable_bytes_carry_the_id(channel):
    _, trailing, code, _ = await _unary(channel, b"\xff\xff\xff", "req-garbled")
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert _ids(trailing) == ["req-garbled"]


async def test_a_stream_carries_the_id_at_its_end_also_when_cut_short(channel):
    commands = [betting_pb2.BetCommand(correlation_id=str(i)).SerializeToString() for i in range(3)]
    stream = channel.stream_stream(f"/{_SERVICE}/StreamBets")(
        iter(commands), metadata=_metadata("req-stream")
    )
    assert len([answer async for answer in stream]) == 3
    assert await stream.code() == grpc.StatusCode.OK
    assert _ids(await stream.trailing_metadata()) == ["req-stream"]
    assert _ids(await stream.initial_metadata()) == []

    # The second frame does not parse: the stream ends INVALID_ARGUMENT, the id still sent.
    cut = channel.stream_stream(f"/{_SERVICE}/StreamBets")(
        iter([commands[0], b"\xff\xff\xff"]), metadata=_metadata("req-cut")
    )
    with pytest.raises(grpc.aio.AioRpcError):
        async for _ in cut:
            pass
    assert await cut.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _ids(await cut.trailing_metadata()) == ["req-cut"]


@pytest.mark.parametrize("channel", [RequestIdEcho.INITIAL], indirect=True)
async def test_initial_sends_the_id_before_the_answer_and_not_at_the_end(channel):
    initial, trailing, code, _ = await _unary(channel, _get("ok"), "req-initial")
    assert code == grpc.StatusCode.OK
    assert _ids(initial) == ["req-initial"]
    assert _ids(trailing) == []
    # A refusal too: the id went out before the handler ran.
    initial, _, code, _ = await _unary(channel, _get("refuse"), "req-initial-refused")
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert _ids(initial) == ["req-initial-refused"]


@pytest.mark.parametrize("channel", [RequestIdEcho.OFF], indirect=True)
async def test_off_sends_the_id_nowhere(channel):
    for bet_id in ("ok", "refuse"):
        initial, trailing, _, error = await _unary(channel, _get(bet_id), "req-off")
        assert _ids(initial) == _ids(trailing) == []
    assert error is not None
    assert rpc_status.from_call(error) is not None  # the refusal's details still there
