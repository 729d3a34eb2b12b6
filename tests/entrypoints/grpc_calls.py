"""Helpers for the tests that call the gRPC API: amounts as the wire carries them, the error a
call fails with, and the google.rpc details the server attaches to it."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

import grpc
import pytest
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from croupier.v1 import common_pb2

Detail = TypeVar("Detail", bound=Message)


def xtr(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount=amount, currency="XTR")


async def rpc_error(call: Awaitable[Any]) -> grpc.aio.AioRpcError:
    """The error the call fails with (the test fails if it does not)."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


def rpc_detail(error: grpc.aio.AioRpcError, kind: type[Detail]) -> Detail | None:
    """The error's first detail of this kind (ErrorInfo, BadRequest, …), or None."""
    for detail in rpc_status.from_call(error).details:
        if detail.Is(kind.DESCRIPTOR):
            found = kind()
            detail.Unpack(found)
            return found
    return None


def rpc_info(error: grpc.aio.AioRpcError) -> tuple[str, dict[str, str]]:
    """The ErrorInfo's reason and metadata ("" and none without one)."""
    info = rpc_detail(error, error_details_pb2.ErrorInfo)
    return (info.reason, dict(info.metadata)) if info else ("", {})


def rpc_reason(error: grpc.aio.AioRpcError) -> str:
    return rpc_info(error)[0]


def bad_fields(error: grpc.aio.AioRpcError) -> list[str]:
    """The fields a BadRequest detail names (none without one)."""
    bad = rpc_detail(error, error_details_pb2.BadRequest)
    return [v.field for v in bad.field_violations] if bad else []
