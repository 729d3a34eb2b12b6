"""Domain errors. Each carries a stable machine-readable `code` so every entrypoint can map it
to its own wire format (HTTP problem details, gRPC status, a bot message) without parsing text."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # money's own module raises these errors
    from domain.money import Money


class DomainError(Exception):
    """Base of every rule the domain refuses to break."""

    code: str = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidAmount(DomainError):
    code = "invalid_amount"


class CurrencyMismatch(DomainError):
    code = "currency_mismatch"


class UnknownCurrency(DomainError):
    code = "unknown_currency"


class UnbalancedTransaction(DomainError):
    code = "unbalanced_transaction"


class InvalidTransaction(DomainError):
    code = "invalid_transaction"


class InsufficientFunds(DomainError):
    """`available`: what the player's wallet holds, when the refusal is about a player's
    wallet (a screen says "you have 127 ⭐" from it; the message stays for the other doors)."""

    code = "insufficient_funds"

    def __init__(self, message: str, *, available: Money | None = None) -> None:
        super().__init__(message)
        self.available = available


class IdempotencyConflict(DomainError):
    """The idempotency key was already used for an operation with different content."""

    code = "idempotency_conflict"


class NotFound(DomainError):
    code = "not_found"


class InvalidRequest(DomainError):
    """Input that breaks no money rule but cannot be acted on (an empty reason, a bad cursor)."""

    code = "invalid_request"


class IllegalTransition(DomainError):
    """A bet (or another stateful record) was asked to move to a state it cannot reach from
    where it is: settling a voided bet, voiding a settled one."""

    code = "illegal_transition"


class LimitExceeded(DomainError):
    """A stake, payout or exposure limit refuses the operation. `rule` names it, for a screen
    to word it ("min_stake", "max_stake", "max_payout", "bankroll", "round_exposure"; None
    when unnamed), and `limit` is the amount it allows (the smallest or largest stake, the
    largest payout)."""

    code = "limit_exceeded"

    def __init__(
        self, message: str, *, rule: str | None = None, limit: Money | None = None
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.limit = limit


class GameUnavailable(DomainError):
    """The game is unknown, disabled, or not offered in that currency."""

    code = "game_unavailable"


class NotRevealed(DomainError):
    """A provably fair result cannot be verified yet: its server seed is still secret."""

    code = "not_revealed"


class Unauthenticated(DomainError):
    """No valid credentials: a wrong password, an expired token, an unknown key."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """Authenticated, but the role does not allow this."""

    code = "forbidden"


class RateLimited(DomainError):
    """Too many attempts; try again later."""

    code = "rate_limited"


class InvalidField(InvalidRequest):
    """Bad input in one named field of a request (`field` uses the wire name)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class StorageUnavailable(DomainError):
    """The books could not be reached: the database connection broke (a restart, a failover).
    The operation's transaction did not commit — or, if the break came during the commit, may
    have. Repeating it with the same idempotency key applies it exactly once."""

    code = "storage_unavailable"


class Overloaded(StorageUnavailable):
    """More bets wait in this process for the database than it takes (its bet queue is full:
    the database is slow or away). The bet was not taken: nothing was written, and repeating it
    with the same bet id a little later places it once."""

    code = "overloaded"
    # Whole seconds a caller should wait before repeating it (gRPC RetryInfo, HTTP
    # Retry-After): the queue drains thousands of bets a second once the database answers.
    retry_after = 1
