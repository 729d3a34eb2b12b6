"""Staff adjustments of player balances, and the four-eyes rule for large ones."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
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
class FourEyesPolicy:
    """Adjustments whose size exceeds the threshold of their currency (minor units) need a
    second finance user's approval. A currency without a threshold always needs one."""

    thresholds: Mapping[str, int]

    def needs_approval(self, amount: Money) -> bool:
        threshold = self.thresholds.get(amount.currency.code)
        return threshold is None or abs(amount.amount) > threshold


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
