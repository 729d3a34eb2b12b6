"""Staff adjustments of player balances, and the four-eyes rule for large ones.

The rule counts what one staff member posts, and what one player receives, over a rolling
window, not only the adjustment at hand: forty adjustments just under the threshold are one
large adjustment split up, and need a second pair of eyes like it."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType

from domain.errors import Forbidden, IllegalTransition, InvalidRequest
from domain.money import Money

MAX_REASON_LENGTH = 500


class AdjustmentState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


def validate_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidRequest("an adjustment needs a reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidRequest(f"the reason is longer than {MAX_REASON_LENGTH} characters")
    return reason


@dataclass(frozen=True, slots=True)
class WindowTotals:
    """What one staff member adjusted (in one currency, either sign, in minor units) and what
    one player was adjusted by, over the four-eyes window. Pending requests count as well as
    posted ones: a pending request may still be approved, and the small adjustments posted
    beside it would then have moved the sum without a second look. Rejected ones moved
    nothing and do not count."""

    staff: int = 0
    player: int = 0


NO_TOTALS = WindowTotals()

# How far back the four-eyes rule adds up adjustments, and how long whoever adjusted a
# player's balance may not approve or pay that player's withdrawals.
FOUR_EYES_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class FourEyesPolicy:
    """An adjustment needs a second finance user's approval when its size, or its size added
    to the staff member's or to the player's adjustments over the window (`WindowTotals`),
    exceeds the threshold of its currency (minor units). A currency without a threshold
    always needs one."""

    thresholds: Mapping[str, int]
    window: timedelta = FOUR_EYES_WINDOW

    def __post_init__(self) -> None:
        if self.window <= timedelta(0):
            raise InvalidRequest("the four-eyes window must be longer than zero")

    def needs_approval(self, amount: Money, totals: WindowTotals = NO_TOTALS) -> bool:
        threshold = self.thresholds.get(amount.currency.code)
        if threshold is None:
            return True
        size = abs(amount.amount)
        return max(size, totals.staff + size, totals.player + size) > threshold

    def split_up(self, amount: Money, totals: WindowTotals) -> bool:
        """Whether the adjustment is small on its own but not added to the window's: the
        pattern of a large adjustment split into small ones (a risk flag's reason)."""
        threshold = self.thresholds.get(amount.currency.code)
        return (
            threshold is not None
            and abs(amount.amount) <= threshold
            and self.needs_approval(amount, totals)
        )

    def chain_evidence(
        self, amount: Money, totals: WindowTotals, staff: str, request_id: uuid.UUID
    ) -> dict[str, object]:
        return {
            "rule": "cumulative_adjustments",
            "staff": staff,
            "request_id": str(request_id),
            "currency": amount.currency.code,
            "amount": amount.amount,
            "staff_window_total": totals.staff,
            "player_window_total": totals.player,
            "threshold": self.thresholds.get(amount.currency.code),
            "window_hours": self.window / timedelta(hours=1),
        }


# The casino's thresholds unless the operator sets others (CROUPIER_FOUR_EYES_THRESHOLDS):
# 1,000 Stars, 100 TON, 1,000 USDT, 100,000 FUN.
FOUR_EYES_THRESHOLDS: Mapping[str, int] = MappingProxyType(
    {"XTR": 1_000, "TON": 100 * 10**9, "USDT": 1_000 * 10**6, "FUN": 10**7}
)


@dataclass(frozen=True, slots=True)
class AdjustmentRequest:
    id: uuid.UUID
    player_id: int
    amount: Money  # signed: positive credits the player
    reason: str
    requested_by: str
    requested_at: datetime
    state: AdjustmentState = AdjustmentState.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    transaction_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if self.amount.is_zero():
            raise InvalidRequest("an adjustment of zero moves nothing")
        validate_reason(self.reason)

    def _decide(self, state: AdjustmentState, by: str, at: datetime) -> AdjustmentRequest:
        if self.state is not AdjustmentState.PENDING:
            raise IllegalTransition(f"adjustment {self.id} is already {self.state}")
        if by == self.requested_by:
            raise Forbidden("the second pair of eyes must belong to someone else")
        return replace(self, state=state, decided_by=by, decided_at=at)

    def approve(self, by: str, at: datetime, transaction_id: uuid.UUID) -> AdjustmentRequest:
        return replace(
            self._decide(AdjustmentState.APPROVED, by, at), transaction_id=transaction_id
        )

    def reject(self, by: str, at: datetime) -> AdjustmentRequest:
        return self._decide(AdjustmentState.REJECTED, by, at)


def same_request(existing: AdjustmentRequest, asked: AdjustmentRequest) -> bool:
    """Whether `asked` repeats `existing` (a retry with the same id): the same player, amount,
    reason and requester. Anything else reusing the id is an `IdempotencyConflict`."""
    return (existing.player_id, existing.amount, existing.reason, existing.requested_by) == (
        asked.player_id,
        asked.amount,
        asked.reason,
        asked.requested_by,
    )
