"""Domain errors to gRPC status codes, with google.rpc details a client can read.

A client's mistake is never UNKNOWN or INTERNAL: bad input is INVALID_ARGUMENT (with the
field), a rule refusing the operation is FAILED_PRECONDITION, a reused idempotency key with
different content is ALREADY_EXISTS, too many bets or deposits in a short time is
RESOURCE_EXHAUSTED (with google.rpc.RetryInfo). A responsible-gambling refusal is
FAILED_PRECONDITION whose ErrorInfo metadata names the `rule` (and `until`, `remaining`...
where they apply)."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from domain.access import KeyNotAllowed
from domain.errors import (
    CurrencyMismatch,
    DomainError,
    GameUnavailable,
    IdempotencyConflict,
    IllegalTransition,
    InsufficientFunds,
    InvalidAmount,
    InvalidField,
    InvalidRequest,
    InvalidTransaction,
    LimitExceeded,
    NotFound,
    NotRevealed,
    RateLimited,
    StorageUnavailable,
    UnbalancedTransaction,
    UnknownCurrency,
)
from domain.money import Money
from domain.quoting import MAX_MESSAGE_CHARS, bounded_message
from domain.responsible import ResponsibleGamblingRefusal
from domain.standing import StandingRefusal, WithdrawalFrozen
from domain.velocity import VelocityUnavailable
from domain.withdrawals import WithdrawalRefused
from entrypoints.observability.metrics import DOMAIN_ERRORS

log = logging.getLogger(__name__)

DOMAIN = "croupier"
# What a caller hears of a failure that is not theirs: no exception text, no traceback.
INTERNAL_MESSAGE = (
    "internal error (logged on our side); it is safe to repeat the call with the same "
    "idempotency key"
)
T = TypeVar("T")

_STATUS: tuple[tuple[type[DomainError], grpc.StatusCode], ...] = (
    (NotFound, grpc.StatusCode.NOT_FOUND),
    # A key that may not do this (a cap, a scope checked inside a call).
    (KeyNotAllowed, grpc.StatusCode.PERMISSION_DENIED),
    (ResponsibleGamblingRefusal, grpc.StatusCode.FAILED_PRECONDITION),
    (RateLimited, grpc.StatusCode.RESOURCE_EXHAUSTED),
    # A fail-closed velocity check could not be counted: a retry later may pass.
    (VelocityUnavailable, grpc.StatusCode.UNAVAILABLE),
    # The database connection broke mid-call: retry with the same idempotency key.
    (StorageUnavailable, grpc.StatusCode.UNAVAILABLE),
    (IdempotencyConflict, grpc.StatusCode.ALREADY_EXISTS),
    (InsufficientFunds, grpc.StatusCode.FAILED_PRECONDITION),
    (LimitExceeded, grpc.StatusCode.FAILED_PRECONDITION),
    (IllegalTransition, grpc.StatusCode.FAILED_PRECONDITION),
    (NotRevealed, grpc.StatusCode.FAILED_PRECONDITION),
    (GameUnavailable, grpc.StatusCode.FAILED_PRECONDITION),
    (WithdrawalRefused, grpc.StatusCode.FAILED_PRECONDITION),
    (InvalidRequest, grpc.StatusCode.INVALID_ARGUMENT),
    (InvalidAmount, grpc.StatusCode.INVALID_ARGUMENT),
    (CurrencyMismatch, grpc.StatusCode.INVALID_ARGUMENT),
    (UnknownCurrency, grpc.StatusCode.INVALID_ARGUMENT),
    (UnbalancedTransaction, grpc.StatusCode.INVALID_ARGUMENT),
    (InvalidTransaction, grpc.StatusCode.INVALID_ARGUMENT),
)


# Bad input in one request field; the field travels in google.rpc.BadRequest.
FieldError = InvalidField


def status_code_for(error: DomainError) -> grpc.StatusCode:
    for kind, code in _STATUS:
        if isinstance(error, kind):
            return code
    return grpc.StatusCode.FAILED_PRECONDITION


# Seconds a client should wait before retrying a fail-closed velocity check.
VELOCITY_UNAVAILABLE_RETRY_AFTER = 60


def _money_text(value: Money) -> str:
    return f"{value.amount} {value.currency.code}"  # minor units, like every Money message


def error_metadata(error: DomainError) -> dict[str, str]:
    """ErrorInfo metadata (strings only): what explains a responsible-gambling or a
    withdrawal refusal."""
    if isinstance(error, WithdrawalRefused | StandingRefusal | WithdrawalFrozen):
        return {"rule": str(error.rule)}
    if not isinstance(error, ResponsibleGamblingRefusal):
        return {}
    facts = {"rule": error.rule}
    if error.until is not None:
        facts["until"] = error.until.isoformat()
    if error.limit is not None:
        facts["limit"] = _money_text(error.limit)
    if error.remaining is not None:
        facts["remaining"] = _money_text(error.remaining)
    if error.session_started_at is not None:
        facts["session_started_at"] = error.session_started_at.isoformat()
    if error.session_time is not None:
        facts["session_seconds"] = str(int(error.session_time.total_seconds()))
    if error.net_result is not None:
        facts["net_result"] = _money_text(error.net_result)
    return facts


def _retry_after(error: DomainError) -> int | None:
    if isinstance(error, VelocityUnavailable):
        return VELOCITY_UNAVAILABLE_RETRY_AFTER
    retry_after = getattr(error, "retry_after", None)
    return retry_after if isinstance(retry_after, int) else None


def rich_status(error: DomainError) -> tuple[grpc.StatusCode, status_pb2.Status]:
    code = status_code_for(error)
    details: list[Any] = [
        error_details_pb2.ErrorInfo(
            reason=error.code.upper(), domain=DOMAIN, metadata=error_metadata(error)
        )
    ]
    retry_after = _retry_after(error)
    if retry_after is not None:
        details.append(
            error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=retry_after))
        )
    if isinstance(error, FieldError):
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=error.field[:MAX_MESSAGE_CHARS], description=bounded_message(error.message)
        )
        details.append(error_details_pb2.BadRequest(field_violations=[violation]))
    packed = []
    for detail in details:
        holder = any_pb2.Any()
        holder.Pack(detail)
        packed.append(holder)
    status = status_pb2.Status(
        code=getattr(code_pb2, code.name), message=bounded_message(error.message), details=packed
    )
    return code, status


async def abort_with(context: grpc.aio.ServicerContext, error: DomainError) -> None:
    """Ends the call with the error's rich status. Its details travel in the trailing
    metadata, and grpc.aio's abort with trailing metadata of its own replaces what the call
    had set (the request id's echo, see `ObservabilityInterceptor`): the two are sent
    together."""
    DOMAIN_ERRORS.labels("grpc", error.code).inc()
    _, status = rich_status(error)
    found = rpc_status.to_status(status)
    await context.abort(
        found.code,
        found.details,
        (*(context.trailing_metadata() or ()), *found.trailing_metadata),
    )


def guarded(handler: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Turn domain errors into their status, anything else into INTERNAL without its text (it
    is logged), and refuse to start work whose deadline has already passed. A deadline that
    passes mid-call cancels the handler; its unit of work then rolls back (a bet already
    queued for a batch is placed or refused all the same), so an operation happened entirely
    or not at all."""

    @functools.wraps(handler)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> T:
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "the deadline has passed")
        try:
            return await handler(self, request, context)
        except DomainError as error:
            await abort_with(context, error)
            raise AssertionError("abort returns by raising") from error
        except (asyncio.CancelledError, grpc.aio.AbortError):
            raise
        except Exception:
            log.exception("gRPC %s failed", handler.__name__)
            await context.abort(grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE)
            raise AssertionError("abort returns by raising") from None

    return wrapper
