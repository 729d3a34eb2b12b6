"""Every error leaves as RFC 9457 problem details; no stack trace ever reaches a client."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from domain.aggregator_games import AggregatorUnavailable
from domain.campaigns import CampaignRefused
from domain.crypto_pay import CryptoDepositUnavailable, CryptoProviderDown
from domain.errors import (
    CurrencyMismatch,
    DomainError,
    Forbidden,
    GameUnavailable,
    IdempotencyConflict,
    IllegalTransition,
    InsufficientFunds,
    InvalidAmount,
    InvalidRequest,
    LimitExceeded,
    NotFound,
    NotRevealed,
    RateLimited,
    StorageUnavailable,
    Unauthenticated,
    UnknownCurrency,
)
from domain.money import Money
from domain.payments import InvoiceLinkUnavailable, RefundPending, RefundRefused
from domain.quoting import bounded_message
from domain.responsible import DepositLimitPromptDue, ResponsibleGamblingRefusal
from domain.standing import StandingRefusal, WithdrawalFrozen
from domain.velocity import VelocityUnavailable
from domain.withdrawals import WithdrawalRefused
from entrypoints.http.player_problems import PLAYER_API_PREFIX, player_detail, player_reason
from entrypoints.observability.metrics import DOMAIN_ERRORS

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

_STATUS: dict[type[DomainError], int] = {
    NotFound: HTTP_404_NOT_FOUND,
    IdempotencyConflict: HTTP_409_CONFLICT,
    InsufficientFunds: HTTP_409_CONFLICT,
    InvalidAmount: HTTP_422_UNPROCESSABLE_ENTITY,
    CurrencyMismatch: HTTP_422_UNPROCESSABLE_ENTITY,
    UnknownCurrency: HTTP_422_UNPROCESSABLE_ENTITY,
    InvalidRequest: HTTP_400_BAD_REQUEST,
    Unauthenticated: HTTP_401_UNAUTHORIZED,
    Forbidden: HTTP_403_FORBIDDEN,
    RateLimited: HTTP_429_TOO_MANY_REQUESTS,
    LimitExceeded: HTTP_409_CONFLICT,
    IllegalTransition: HTTP_409_CONFLICT,
    GameUnavailable: HTTP_409_CONFLICT,
    NotRevealed: HTTP_409_CONFLICT,
    RefundRefused: HTTP_409_CONFLICT,
    # 409 as for ResponsibleGamblingRefusal: a withdrawal rule (limits, KYC, wagering) refuses
    # a well-formed request; `rule` says which.
    WithdrawalRefused: HTTP_409_CONFLICT,
    # Telegram did not answer: retrying is the remedy, as for any unavailable upstream.
    RefundPending: HTTP_503_SERVICE_UNAVAILABLE,
    CryptoProviderDown: HTTP_503_SERVICE_UNAVAILABLE,
    # The rail is off, or the invoice expired: not a malformed request, the state refuses it.
    CryptoDepositUnavailable: HTTP_409_CONFLICT,
    InvoiceLinkUnavailable: HTTP_503_SERVICE_UNAVAILABLE,  # Telegram gave no link: try again
    AggregatorUnavailable: HTTP_503_SERVICE_UNAVAILABLE,
    # 409, not 403: nothing is wrong with who is asking; the player's own state (a limit
    # reached, a time-out, a reality check waiting) conflicts with the request, like
    # LimitExceeded, and the same request may pass later. A 403 would read as an access
    # problem that logging in again could fix. `rule` says which one refused.
    ResponsibleGamblingRefusal: HTTP_409_CONFLICT,
    # The player owes the prompt at the first deposit: their own state again, as above.
    DepositLimitPromptDue: HTTP_409_CONFLICT,
    # A fail-closed velocity check could not be counted: retry later (with Retry-After).
    VelocityUnavailable: HTTP_503_SERVICE_UNAVAILABLE,
    # The database connection broke mid-request: retry with the same idempotency key.
    StorageUnavailable: HTTP_503_SERVICE_UNAVAILABLE,
}

# Seconds a client should wait before retrying a fail-closed velocity check.
VELOCITY_UNAVAILABLE_RETRY_AFTER = 60


def _money(value: Money | None) -> dict[str, Any] | None:
    return None if value is None else {"amount": value.amount, "currency": value.currency.code}


def refusal_facts(error: ResponsibleGamblingRefusal) -> dict[str, Any]:
    """What a screen needs to explain a responsible-gambling refusal, beside `detail`."""
    return {
        "rule": error.rule,
        "until": None if error.until is None else error.until.isoformat(),
        "limit": _money(error.limit),
        "remaining": _money(error.remaining),
        "session_started_at": None
        if error.session_started_at is None
        else error.session_started_at.isoformat(),
        "session_seconds": None
        if error.session_time is None
        else int(error.session_time.total_seconds()),
        "net_result": _money(error.net_result),
    }


def withdrawal_refusal_facts(error: WithdrawalRefused) -> dict[str, Any]:
    """Which withdrawal rule refused the request, and the amounts it allows."""
    return {
        "rule": error.rule,
        "limit": _money(error.limit),
        "remaining": _money(error.remaining),
    }


def problem(status: int, title: str, detail: str, code: str, **extra: Any) -> Response[Any]:
    body = {
        "type": f"urn:croupier:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def status_for(error: DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in _STATUS:
            return _STATUS[kind]
    return HTTP_422_UNPROCESSABLE_ENTITY


def for_a_player(request: Request[Any, Any, Any] | None) -> bool:
    """Whether the problem answers the Mini App (the player's routes): it then names its
    `reason` and the numbers of the player's text (player_problems.py). Tests call the
    handlers without a request."""
    return request is not None and request.url.path.startswith(PLAYER_API_PREFIX)


def domain_error_handler(request: Request[Any, Any, Any], error: DomainError) -> Response[Any]:
    DOMAIN_ERRORS.labels("http", error.code).inc()
    status = status_for(error)
    player = for_a_player(request)
    extra: dict[str, Any] = {}
    field = getattr(error, "field", None)
    if isinstance(field, str):
        extra["errors"] = [{"field": field, "message": bounded_message(error.message)}]
    if isinstance(error, WithdrawalRefused):
        extra.update(withdrawal_refusal_facts(error))
    if isinstance(error, ResponsibleGamblingRefusal):
        extra.update(refusal_facts(error))
    rule = getattr(error, "rule", None)  # StandingRefusal's base class declares none
    if isinstance(error, StandingRefusal | WithdrawalFrozen | CampaignRefused) and rule:
        extra["rule"] = str(rule)  # a campaign's: why the promo code gives nothing
    retry_after = getattr(error, "retry_after", None)
    if isinstance(error, VelocityUnavailable):
        retry_after = VELOCITY_UNAVAILABLE_RETRY_AFTER
    if isinstance(retry_after, int):
        extra["retry_after"] = retry_after
    detail = bounded_message(error.message)
    if player:
        extra.update(player_reason(error))
        detail = player_detail(error, detail)
    response = problem(status, type(error).__name__, detail, error.code, **extra)
    if status == HTTP_401_UNAUTHORIZED:
        response.headers["WWW-Authenticate"] = 'Bearer realm="croupier"'
    if isinstance(retry_after, int):
        response.headers["Retry-After"] = str(retry_after)
    return response


# How many of Litestar's validation errors a refusal lists, and how long each of their texts
# may be: Litestar's messages quote the rejected value whole (a 100 kB query parameter came
# back in a 105 kB answer).
MAX_LISTED_ERRORS = 10
MAX_ERROR_TEXT = 200


def _bounded_errors(errors: Any) -> Any:
    if not isinstance(errors, list):
        return bounded_message(str(errors))[:MAX_ERROR_TEXT]
    return [
        {
            key: value[:MAX_ERROR_TEXT] + "…"
            if isinstance(value, str) and len(value) > MAX_ERROR_TEXT
            else value
            for key, value in item.items()
        }
        if isinstance(item, dict)
        else bounded_message(str(item))[:MAX_ERROR_TEXT]
        for item in errors[:MAX_LISTED_ERRORS]
    ]


def http_error_handler(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    extra: dict[str, Any] = {}
    if isinstance(error, ValidationException) and error.extra:
        extra["errors"] = _bounded_errors(error.extra)
    if for_a_player(request):
        extra["reason"] = "request_refused" if error.status_code < 500 else "internal_error"
    detail = bounded_message(error.detail)
    return problem(error.status_code, "HTTP error", detail, "http_error", **extra)


def unexpected_error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Internal error",
        "The server could not complete the request; nothing was changed by it.",
        "internal_error",
        **({"reason": "internal_error"} if for_a_player(request) else {}),
    )


def too_deep_handler(request: Request[Any, Any, Any], error: RecursionError) -> Response[Any]:
    # msgspec refuses JSON nested beyond its limit with RecursionError, which Litestar does not
    # read as a bad body; our own code does not recurse on request data, so it is the client's.
    log.warning("refused a request nested too deeply on %s %s", request.method, request.url.path)
    return problem(
        HTTP_400_BAD_REQUEST,
        "HTTP error",
        "the request is nested too deeply",
        "http_error",
        **({"reason": "request_refused"} if for_a_player(request) else {}),
    )


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    RecursionError: too_deep_handler,
    HTTPException: http_error_handler,
    Exception: unexpected_error_handler,
}
