"""Raw bytes that are not a protobuf of the method's type, sent with a generic channel (no
serializer): every method answers INVALID_ARGUMENT naming the type, a garbage frame in the
middle of StreamBets ends the stream there after the commands before it got their results,
and with Hypothesis over arbitrary and near-valid bytes no call ends UNKNOWN or INTERNAL and
none moves money unless it was accepted.

The server runs on a database of the module's own (`own_grpc`): the ledger counted around each
call, and the books reconciled after each test, are only what these calls wrote."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from grpc_health.v1 import health_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from adapters.clock import SystemClock
from adapters.ids import UuidV7Generator
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from croupier.v1 import betting_pb2, common_pb2
from domain.money import XTR, Money
from entrypoints.grpc.server import SERVICES
from tests.conftest import TEST_HOUSE_SHARDS, assert_books_balance
from tests.entrypoints.own_grpc import own_grpc, own_key

__all__ = ["own_grpc"]  # a fixture, used by name

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

# Every service the server serves, from its descriptors: a new one is covered unasked.
_OURS = tuple(descriptor_pool.Default().FindServiceByName(name) for name in SERVICES)
_METHODS: list[MethodDescriptor] = [method for service in _OURS for method in service.methods]
# Not ours, but served by the same server: bytes that do not parse get the same answer there.
_HEALTH = list(health_pb2.DESCRIPTOR.services_by_name["Health"].methods)
_BROKEN = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL}
# Bytes no message type parses: a varint that never ends, a length running past the end, the
# reserved wire type 7, field number 0.
_GARBAGE = (b"\xff\xff\xff\xff", b"\x0a\x7fshort", b"\x0f", b"\x00")


def _path(method: MethodDescriptor) -> str:
    return f"/{method.containing_service.full_name}/{method.name}"


async def _call(grpc_server, method: MethodDescriptor, frames: list[bytes], md):
    """Send raw frames to a method; return (responses, error or None).

    A synchronous client in a thread: when a server ends a stream while the client is still
    writing, grpc.aio's client replaces the server's status with its own INTERNAL "Internal
    error from Core" (grpc/grpc#36066); the synchronous one reports what the server said."""

    def call() -> tuple[list[bytes], grpc.RpcError | None]:
        responses: list[bytes] = []
        with grpc.insecure_channel(grpc_server.address) as channel:
            path = _path(method)
            try:
                if method.client_streaming:
                    assert method.server_streaming, f"no client-streaming-only method: {path}"
                    stream = channel.stream_stream(path)(iter(frames), metadata=md, timeout=30)
                elif method.server_streaming:
                    # A live feed (CrashService.StreamRounds) streams until cancelled: a second
                    # of it, ended by the deadline, is a stream that took the request.
                    stream = channel.unary_stream(path)(frames[0], metadata=md, timeout=1)
                    try:
                        responses.extend(stream)
                    except grpc.RpcError as error:
                        if error.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                            raise
                    return responses, None
                else:
                    stream = iter([channel.unary_unary(path)(frames[0], metadata=md, timeout=30)])
                responses.extend(stream)
            except grpc.RpcError as error:
                return responses, error
        return responses, None

    return await asyncio.to_thread(call)


async def _ledger_size(engine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT count(*) FROM ledger_transactions"))).scalar_one()


@pytest.fixture
async def books(own_grpc):
    """Reconcile the module's database after the test."""
    yield
    await assert_books_balance(own_grpc.engine)


@pytest.fixture
def grpc_server(own_grpc):
    return own_grpc.server


@pytest.fixture
async def channel(own_grpc):
    async with grpc.aio.insecure_channel(own_grpc.server.address) as channel:
        yield channel


@pytest.fixture
async def md(own_grpc):
    return await own_key(own_grpc)


@pytest.mark.parametrize("garbage", _GARBAGE, ids=lambda g: g.hex())
@pytest.mark.parametrize("method", _METHODS + _HEALTH, ids=lambda m: m.full_name)
async def test_undecodable_bytes_are_invalid_argument_naming_the_type(
    method, garbage, grpc_server, md, own_grpc
):
    engine = own_grpc.engine
    before = await _ledger_size(engine)
    responses, error = await _call(grpc_server, method, [garbage], md)
    assert error is not None, f"{method.full_name} accepted {garbage!r}: {responses}"
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert method.input_type.full_name in error.details()
    assert "protobuf" in error.details()
    assert "Traceback" not in error.details()
    assert "DecodeError" not in error.details()
    assert await _ledger_size(engine) == before


async def test_undecodable_bytes_without_a_key_are_still_unauthenticated(channel):
    call = channel.unary_unary("/croupier.v1.WalletService/Deposit")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(_GARBAGE[0], timeout=30)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.fixture
async def player_id(own_grpc, new_telegram_id, unique_key):
    """A player with 1,000 Stars in the module's database (whose bankroll is funded)."""
    clock = SystemClock()
    registered = await RegisterPlayer(own_grpc.uow, clock)(
        RegisterPlayerCommand(new_telegram_id(), currencies=(XTR,), accept_terms=True)
    )
    await CreditDeposit(own_grpc.uow, clock, UuidV7Generator(), HouseBook(TEST_HOUSE_SHARDS))(
        CreditDepositCommand(registered.player.id, Money(1000, XTR), unique_key("dep"))
    )
    return str(registered.player.id)


def _place(player: str, correlation_id: str) -> betting_pb2.BetCommand:
    return betting_pb2.BetCommand(
        correlation_id=correlation_id,
        place=betting_pb2.PlaceBetRequest(
            player_id=player,
            bet_id=str(uuid.uuid4()),
            game="coin",
            stake=common_pb2.Money(amount=10, currency="XTR"),
            params={"side": "heads"},
        ),
    )


async def _stored(engine, bet_ids: list[str]) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT count(*) FROM bets WHERE id = ANY(CAST(:ids AS uuid[]))"),
                {"ids": bet_ids},
            )
        ).scalar_one()


async def test_a_garbage_frame_mid_stream_ends_the_stream_after_the_commands_before_it(
    grpc_server, md, own_grpc, player_id
):
    engine = own_grpc.engine
    first, second = _place(player_id, "first"), _place(player_id, "second")
    after = _place(player_id, "after")
    frames = [
        first.SerializeToString(),
        second.SerializeToString(),
        b"\x0a\x7fshort",
        after.SerializeToString(),
    ]
    method = betting_pb2.DESCRIPTOR.services_by_name["BettingService"].methods_by_name["StreamBets"]
    responses, error = await _call(grpc_server, method, frames, md)
    results = [betting_pb2.BetResult.FromString(r) for r in responses]

    assert error is not None
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "message 3 of the request stream" in error.details()
    assert "croupier.v1.BetCommand" in error.details()
    # What came before the bad frame was placed and answered; nothing after it was read.
    assert sorted(r.correlation_id for r in results) == ["first", "second"]
    assert all(r.WhichOneof("result") == "ok" for r in results)
    assert await _stored(engine, [first.place.bet_id, second.place.bet_id]) == 2
    assert await _stored(engine, [after.place.bet_id]) == 0


# --- Hypothesis: arbitrary and near-valid bytes -------------------------------------------------


def _template(descriptor: Descriptor, depth: int = 0) -> Message:
    """A message of this type with every field set to something plausible, to mutate."""
    message = GetMessageClass(descriptor)()
    for field in descriptor.fields:
        if field.message_type is not None:
            if field.message_type.GetOptions().map_entry:
                getattr(message, field.name)["target"] = "2"
            elif depth < 2 and not field.is_repeated:
                getattr(message, field.name).CopyFrom(_template(field.message_type, depth + 1))
        elif field.is_repeated:
            continue
        elif field.type == FieldDescriptor.TYPE_STRING:
            setattr(message, field.name, "1" if field.name.endswith("id") else "XTR")
        elif field.type == FieldDescriptor.TYPE_BOOL:
            setattr(message, field.name, True)
        elif field.type in (FieldDescriptor.TYPE_BYTES,):
            setattr(message, field.name, b"\x01")
        elif field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            setattr(message, field.name, 1.5)
        else:
            setattr(message, field.name, 1)
    return message


def _mutated(valid: bytes) -> st.SearchStrategy[bytes]:
    """A valid serialization cut short, with a byte replaced, or with bytes spliced in."""
    size = len(valid)
    return st.one_of(
        st.integers(0, size).map(lambda n: valid[:n]),
        st.tuples(st.integers(0, max(size - 1, 0)), st.integers(0, 255)).map(
            lambda at: valid[: at[0]] + bytes([at[1]]) + valid[at[0] + 1 :]
        ),
        st.tuples(st.integers(0, size), st.binary(min_size=1, max_size=8)).map(
            lambda at: valid[: at[0]] + at[1] + valid[at[0] :]
        ),
    )


def _frames(method: MethodDescriptor) -> st.SearchStrategy[bytes]:
    valid = _template(method.input_type).SerializeToString()
    return st.one_of(st.binary(max_size=256), _mutated(valid))


@pytest.mark.parametrize("method", _METHODS, ids=lambda m: m.full_name)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_no_bytes_break_a_method_or_move_money_when_refused(
    method, data, grpc_server, md, own_grpc
):
    engine = own_grpc.engine
    frames = data.draw(st.lists(_frames(method), min_size=1, max_size=3))
    before = await _ledger_size(engine)
    _, error = await _call(grpc_server, method, frames, md)
    if error is not None:
        details = error.details() or ""
        assert error.code() not in _BROKEN, f"{method.full_name}: {error.code()} {details}"
        assert "Traceback" not in details
        assert "DecodeError" not in details
        assert await _ledger_size(engine) == before
