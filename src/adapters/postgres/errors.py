"""Translate database errors into domain errors by SQLSTATE, never by message text."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError

from domain.errors import (
    DomainError,
    IdempotencyConflict,
    IllegalTransition,
    InsufficientFunds,
    InvalidTransaction,
    NotFound,
    UnbalancedTransaction,
)

# Codes raised by our own functions (migrations/versions/0001_ledger.py) and the standard ones
# our constraints raise.
_BY_SQLSTATE: dict[str, type[DomainError]] = {
    "CR402": InsufficientFunds,
    "CR404": NotFound,
    "CR409": IdempotencyConflict,
    "CR422": UnbalancedTransaction,
    "CR403": InvalidTransaction,
    "CR405": IllegalTransition,
    "23514": InsufficientFunds,  # check_violation: only balance CHECKs are reachable by a post
}


# lock_not_available (a lock_timeout ran out) and deadlock_detected.
CONTENDED = frozenset({"55P03", "40P01"})


def sqlstate(error: DBAPIError) -> str | None:
    orig = error.orig
    for candidate in (orig, getattr(orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None)
        if isinstance(code, str):
            return code
    return None


def server_message(error: DBAPIError) -> str:
    cause = getattr(error.orig, "__cause__", None) or error.orig
    return str(getattr(cause, "message", None) or cause)


def to_domain_error(error: DBAPIError) -> DomainError | None:
    code = sqlstate(error)
    kind = _BY_SQLSTATE.get(code or "")
    if kind is None:
        return None
    return kind(server_message(error))


@contextlib.contextmanager
def refusals_as_domain_errors() -> Iterator[None]:
    """The statements in the block refused by our functions or triggers (a code above: CR405,
    a step the domain does not allow) raise the domain's error, without the driver's chain;
    any other database error is raised as it is."""
    try:
        yield
    except DBAPIError as error:
        translated = to_domain_error(error)
        if translated is None:
            raise
        raise translated from None
