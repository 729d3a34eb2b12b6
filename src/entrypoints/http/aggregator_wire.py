"""The Hub88-style wallet dialect on the wire (docs/aggregators.md): the bodies aggregators
POST, the answers, the statuses, the amounts' scale, and which refusal is which status.

Amounts are integers in hundred-thousandths of the currency's unit, as Hub88 counts them (1 ⭐
is 100000); Croupier counts minor units, so a stake must be a whole number of minor units and
a balance is shown rounded down to what the scale can say."""

from __future__ import annotations

import enum
import hashlib
from typing import Final

import msgspec

from domain.access import KeyNotAllowed, NoServiceKey
from domain.errors import (
    DomainError,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidRequest,
    UnknownCurrency,
)
from domain.game_sessions import InvalidSessionToken, SessionTokenExpired
from domain.money import Currency, Money
from domain.responsible import ResponsibleGamblingRefusal
from domain.seamless import DebitCalledOff, UncoveredCredit
from domain.standing import StandingRefusal

SIGNATURE_HEADER: Final = "X-Hub88-Signature"
WIRE_EXPONENT: Final = 5  # Hub88's amounts: 1 unit = 100000


class Status(enum.StrEnum):
    # Status names, not secrets (bandit/ruff S105 reads "TOKEN" as a password).
    OK = "RS_OK"
    UNKNOWN = "RS_ERROR_UNKNOWN"
    INVALID_PARTNER = "RS_ERROR_INVALID_PARTNER"
    INVALID_TOKEN = "RS_ERROR_INVALID_TOKEN"  # noqa: S105  # nosec B105
    WRONG_CURRENCY = "RS_ERROR_WRONG_CURRENCY"
    NOT_ENOUGH_MONEY = "RS_ERROR_NOT_ENOUGH_MONEY"
    USER_DISABLED = "RS_ERROR_USER_DISABLED"
    INVALID_SIGNATURE = "RS_ERROR_INVALID_SIGNATURE"
    TOKEN_EXPIRED = "RS_ERROR_TOKEN_EXPIRED"  # noqa: S105  # nosec B105
    DUPLICATE_TRANSACTION = "RS_ERROR_DUPLICATE_TRANSACTION"
    TRANSACTION_DOES_NOT_EXIST = "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
    TRANSACTION_ROLLED_BACK = "RS_ERROR_TRANSACTION_ROLLED_BACK"
    LIMIT_REACHED = "RS_ERROR_LIMIT_REACHED"


# The most specific class first: the first match decides.
_STATUS_OF: Final[tuple[tuple[type[DomainError], Status], ...]] = (
    (SessionTokenExpired, Status.TOKEN_EXPIRED),
    (InvalidSessionToken, Status.INVALID_TOKEN),
    (InsufficientFunds, Status.NOT_ENOUGH_MONEY),
    (IdempotencyConflict, Status.DUPLICATE_TRANSACTION),
    (DebitCalledOff, Status.TRANSACTION_ROLLED_BACK),
    (UncoveredCredit, Status.TRANSACTION_DOES_NOT_EXIST),
    (StandingRefusal, Status.USER_DISABLED),
    (ResponsibleGamblingRefusal, Status.USER_DISABLED),
    (NoServiceKey, Status.INVALID_PARTNER),
    (KeyNotAllowed, Status.LIMIT_REACHED),
    (UnknownCurrency, Status.WRONG_CURRENCY),
)


def status_of(error: DomainError) -> Status:
    for kind, status in _STATUS_OF:
        if isinstance(error, kind):
            return status
    return Status.UNKNOWN  # bad input, a closed round, a cap on a round's credits, …


class UserRequest(msgspec.Struct, frozen=True):
    """user/info and user/balance."""

    user: str
    request_uuid: str
    token: str
    game_code: str | None = None


class BetRequest(msgspec.Struct, frozen=True):
    user: str
    request_uuid: str
    transaction_uuid: str
    round: str
    currency: str
    amount: int
    token: str
    game_code: str


class WinRequest(msgspec.Struct, frozen=True):
    """A win names its bet (`reference_transaction_uuid`); the round is what it settles.
    Its token is carried but never checked."""

    user: str
    request_uuid: str
    transaction_uuid: str
    reference_transaction_uuid: str
    round: str
    currency: str
    amount: int
    token: str | None = None
    game_code: str | None = None


class RollbackRequest(msgspec.Struct, frozen=True):
    """Undoes the bet `reference_transaction_uuid`. Hub88 sends no currency with a
    rollback; a rollback of a bet never seen needs one (to answer with a balance, and to
    record that the bet is refused), so it comes from the body when given, else from the
    token (signed by Croupier, read even when expired)."""

    user: str
    request_uuid: str
    transaction_uuid: str
    reference_transaction_uuid: str
    round: str
    currency: str | None = None
    token: str | None = None
    game_code: str | None = None


class Answer(msgspec.Struct, frozen=True, omit_defaults=True):
    user: str
    request_uuid: str
    status: str
    currency: str | None = None
    balance: int | None = None


def player_id_of(user: str) -> int:
    # ASCII digits only ("007" is player 7, as launches send it; no other script's digits).
    if not (user.isascii() and user.isdecimal()) or len(user) > 19:
        raise InvalidRequest("user must be a Croupier player id")
    return int(user)


def to_minor(amount: int, currency: Currency) -> Money:
    """A wire amount in Croupier's minor units; refused unless it is a whole number of them."""
    if isinstance(amount, bool) or amount < 0:
        raise InvalidRequest("amount must be a non-negative integer")
    shift = WIRE_EXPONENT - currency.exponent
    if shift >= 0:
        minor, rest = divmod(amount, 10**shift)
        if rest:
            raise InvalidRequest(f"amount is not a whole number of {currency.code} minor units")
        return Money(minor, currency)
    return Money(amount * 10**-shift, currency)


def to_wire(money: Money) -> int:
    """A balance on the wire: rounded down where the currency is finer than the wire."""
    shift = WIRE_EXPONENT - money.currency.exponent
    factor: int = 10 ** abs(shift)
    return money.amount * factor if shift >= 0 else money.amount // factor


def answer(user: str, request_uuid: str, status: Status, balance: Money | None = None) -> Answer:
    if balance is None:
        return Answer(user, request_uuid, status.value)
    return Answer(user, request_uuid, status.value, balance.currency.code, to_wire(balance))


def body_hash(body: bytes) -> bytes:
    """SHA-256 of the body's canonical form (the same JSON value, keys sorted, no spaces), so
    that a repeat is recognised by what it asks, not by how its JSON was spelled. Called on a
    body already decoded as a call, hence valid JSON."""
    canonical = msgspec.json.encode(msgspec.json.decode(body), order="sorted")
    return hashlib.sha256(canonical).digest()
