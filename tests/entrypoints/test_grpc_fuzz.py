"""Property-based fuzzing of every gRPC method (Hypothesis): messages built from each request
type's own descriptor, with every field free — wrong-looking ids, huge numbers, huge and
unicode strings, unknown enum values, nested messages. No call may end UNKNOWN or INTERNAL or
show a traceback, a refusal stays small (its message and details quote at most a short excerpt
of the request, however large), and a refused call moves no money.

The server runs on a database of the module's own (`own_grpc`): the ledger counted around each
of about 3,600 calls, and the books reconciled after each test, are only what these calls
wrote."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from croupier.v1 import betting_pb2
from entrypoints.grpc.betting import BATCH_LIMIT
from entrypoints.grpc.server import SERVICES
from tests.conftest import assert_books_balance
from tests.entrypoints.own_grpc import own_grpc, own_key

__all__ = ["own_grpc"]  # a fixture, used by name

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

_BROKEN = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL}
# The most a refusal may weigh: its message plus its trailing metadata (google.rpc details).
REFUSAL_LIMIT = 4096


def _weight(error: grpc.aio.AioRpcError) -> int:
    trailers = error.trailing_metadata() or ()
    size = sum(len(key) + len(value) for key, value in trailers)
    return size + len((error.details() or "").encode())


_INTEGERS = {
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
}
# Text as callers get it wrong: anything, digits that overflow, ids and codes that look right.
_TEXT = st.one_of(
    st.text(max_size=40),
    st.integers(-(2**70), 2**70).map(str),
    st.uuids().map(str),
    st.sampled_from(["XTR", "xtr", "TON", "", " ", "coin", "limbo", "dice", "tg_dice", "1"]),
    st.text(min_size=5000, max_size=20000, alphabet=st.characters(codec="utf-8")),
)


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[object]:
    if field.type in _INTEGERS:
        low, high = _INTEGERS[field.type]
        return st.integers(low, high)
    if field.type == FieldDescriptor.TYPE_STRING:
        return _TEXT
    if field.type == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.floats(allow_nan=True, width=32)
    if field.type == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=64)
    if field.type == FieldDescriptor.TYPE_ENUM:  # open enums: unknown numbers are legal
        return st.integers(-5, 50)
    raise AssertionError(f"no strategy for {field.full_name}")


def message(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
    """Any message of this type, every field optional."""
    parts: dict[str, st.SearchStrategy[object]] = {}
    for field in descriptor.fields:
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            entry = field.message_type
            if entry.GetOptions().map_entry:
                key, value = entry.fields_by_name["key"], entry.fields_by_name["value"]
                parts[field.name] = st.dictionaries(_scalar(key), _scalar(value), max_size=4)
                continue
            if depth >= 3:
                continue
            inner = message(entry, depth + 1)
            parts[field.name] = st.lists(inner, max_size=3) if _repeated(field) else inner
        elif _repeated(field):
            parts[field.name] = st.lists(_scalar(field), max_size=3)
        else:
            parts[field.name] = _scalar(field)
    cls = _message_class(descriptor)
    return st.fixed_dictionaries({}, optional=parts).map(lambda values: _build(cls, values))


def _repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def _message_class(descriptor: Descriptor) -> type[Message]:
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(descriptor)


def _build(cls: type[Message], values: dict[str, object]) -> Message:
    built = cls()
    for name, value in values.items():
        target = getattr(built, name)
        if isinstance(value, Message):
            target.CopyFrom(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                target[key] = item
        elif isinstance(value, list):
            for item in value:
                target.add().CopyFrom(item) if isinstance(item, Message) else target.append(item)
        else:
            setattr(built, name, value)
    return built


def _unary_methods() -> list[tuple[str, str, Descriptor]]:
    """Every unary method of every service the server serves: a new one is fuzzed unasked."""
    methods = []
    for name in SERVICES:
        service = descriptor_pool.Default().FindServiceByName(name)
        for method in service.methods:
            if not method.client_streaming and not method.server_streaming:
                methods.append((service.full_name, method.name, method.input_type))
    return methods


_METHODS = _unary_methods()
# Requests are large on purpose (strings of up to 20,000 characters, nested messages, lists of
# them): with a batch of up to six such commands, most draws exceed Hypothesis's entropy budget
# (seed 210930127804320261997853267094413242770: 20 of 28), which it discards and draws again,
# but its data_too_large health check then failed the test before a call was made, on some
# seeds only. The examples that fit are the same; only that check is off.
_LARGE_ON_PURPOSE = [
    HealthCheck.function_scoped_fixture,
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
]
_LEDGER_SIZE = text("SELECT count(*) FROM ledger_transactions")


async def _ledger_size(engine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(_LEDGER_SIZE)).scalar_one()


@pytest.fixture
async def books(own_grpc):
    """Reconcile the module's database after the test."""
    yield
    await assert_books_balance(own_grpc.engine)


@pytest.fixture
async def channel(own_grpc):
    async with grpc.aio.insecure_channel(own_grpc.server.address) as channel:
        yield channel


@pytest.fixture
async def md(own_grpc):
    return await own_key(own_grpc)


@pytest.mark.parametrize(
    ("service", "name", "request_type"),
    _METHODS,
    # The method's name: a descriptor's str() is its address, which differs between processes
    # (pytest-xdist's workers must collect the same names).
    ids=[f"{service}.{name}" for service, name, _ in _METHODS],
)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=_LARGE_ON_PURPOSE,
)
@given(data=st.data())
async def test_no_message_breaks_a_method_or_moves_money_when_refused(
    service, name, request_type, data, channel, md, own_grpc
):
    engine = own_grpc.engine
    request = data.draw(message(request_type))
    call = channel.unary_unary(
        f"/{service}/{name}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=lambda raw: raw,
    )
    before = await _ledger_size(engine)
    refused: grpc.aio.AioRpcError | None = None
    try:
        await call(request, metadata=md, timeout=30)
    except grpc.aio.AioRpcError as error:
        refused = error
    if refused is not None:
        details = refused.details() or ""
        assert refused.code() not in _BROKEN, f"{name}: {refused.code()} {details[:200]}"
        assert "Traceback" not in details
        assert _weight(refused) <= REFUSAL_LIMIT, f"{name}: {_weight(refused)} bytes"
        assert await _ledger_size(engine) == before  # refused: nothing moved


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=_LARGE_ON_PURPOSE,
)
@given(data=st.data())
async def test_no_stream_command_breaks_the_stream(data, channel, md):
    commands = data.draw(st.lists(message(betting_pb2.BetCommand.DESCRIPTOR), max_size=4))
    call = channel.stream_stream(
        "/croupier.v1.BettingService/StreamBets",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=betting_pb2.BetResult.FromString,
    )
    results = [r async for r in call(iter(commands), metadata=md, timeout=30)]
    assert len(results) == len(commands)
    for result in results:
        if result.HasField("error"):
            assert result.error.code not in {c.value[0] for c in _BROKEN}, result.error.message
            assert result.error.ByteSize() <= REFUSAL_LIMIT, result.error.message[:200]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=_LARGE_ON_PURPOSE,
)
@given(data=st.data())
async def test_no_batch_command_breaks_the_batch(data, betting, md):
    """A batch answers each command, in order, as a stream would: whatever the commands, the
    call itself succeeds and no result is broken or heavy."""
    commands = data.draw(st.lists(message(betting_pb2.BetCommand.DESCRIPTOR), max_size=6))
    batch = betting_pb2.BetBatch(commands=commands)
    results = (await betting.PlaceBatch(batch, metadata=md, timeout=30)).results
    assert [r.correlation_id for r in results] == [c.correlation_id for c in commands]
    for result in results:
        if result.HasField("error"):
            assert result.error.code not in {c.value[0] for c in _BROKEN}, result.error.message
            assert result.error.ByteSize() <= REFUSAL_LIMIT, result.error.message[:200]


async def test_a_batch_over_its_bound_is_refused_small(betting, md):
    """More commands than a batch may hold: INVALID_ARGUMENT naming `commands`, small,
    however large the batch."""
    command = betting_pb2.BetCommand(
        correlation_id="x" * 1000, place=betting_pb2.PlaceBetRequest(bet_id="y" * 1000)
    )
    batch = betting_pb2.BetBatch(commands=[command] * (BATCH_LIMIT + 1))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await betting.PlaceBatch(batch, metadata=md, timeout=30)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _weight(refused.value) <= REFUSAL_LIMIT
