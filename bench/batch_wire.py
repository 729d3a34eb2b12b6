"""The batch RPC's messages on the wire, without their generated classes.

`PlaceBatch(BetBatch) returns (BetBatchResult)` (issue 19) has
`message BetBatch { repeated BetCommand commands = 1; }` and
`message BetBatchResult { repeated BetResult results = 1; }`: each is nothing but field 1
repeated, so the bench encodes and decodes them by hand around the generated `BetCommand` and
`BetResult`. That way the load generator and the lean reference work whether or not the
proto of the tree under test has the RPC yet (a service without it answers UNIMPLEMENTED)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from croupier.v1 import betting_pb2

METHOD = "/croupier.v1.BettingService/PlaceBatch"
MAX_COMMANDS = 1000  # the RPC's documented limit

_FIELD_1_BYTES = 0x0A  # field number 1, wire type 2 (length-delimited)


class _Message(Protocol):
    def SerializeToString(self) -> bytes: ...


M = TypeVar("M")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def encode(messages: Iterable[_Message]) -> bytes:
    """A message whose field 1 repeats `messages` (BetBatch, BetBatchResult)."""
    parts = []
    for message in messages:
        body = message.SerializeToString()
        parts += [bytes((_FIELD_1_BYTES,)), _varint(len(body)), body]
    return b"".join(parts)


def decode(data: bytes, parse: type[M]) -> list[M]:
    """Field 1's messages, parsed with `parse.FromString`; other fields are skipped."""
    found: list[M] = []
    at = 0
    while at < len(data):
        key, at = _read_varint(data, at)
        wire_type = key & 7
        if wire_type == 0:
            _, at = _read_varint(data, at)
        elif wire_type == 1:
            at += 8
        elif wire_type == 5:
            at += 4
        elif wire_type == 2:
            length, at = _read_varint(data, at)
            if key >> 3 == 1:
                found.append(parse.FromString(data[at : at + length]))  # type: ignore[attr-defined]
            at += length
        else:
            raise ValueError(f"unsupported wire type {wire_type}")
    return found


def commands(data: bytes) -> list[betting_pb2.BetCommand]:
    return decode(data, betting_pb2.BetCommand)


def results(data: bytes) -> list[betting_pb2.BetResult]:
    return decode(data, betting_pb2.BetResult)


def _identity(data: bytes) -> bytes:
    return data


# What a grpc method handler or multicallable takes when the bytes are already encoded.
raw = _identity
