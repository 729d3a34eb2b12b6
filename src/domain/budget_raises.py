"""Raising a promotion budget's total (docs/bonuses.md#raising-a-budget): a request by a staff
member (or the operator's console) to add `increase` to a budget, applied at once or, above
the campaigns' four-eyes threshold, waiting for another staff member's approval."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from domain.errors import Forbidden, IdempotencyConflict, IllegalTransition, InvalidField
from domain.money import Currency, Money
from domain.promotions import validate_budget_code


class RaiseState(enum.StrEnum):
    APPLIED = "applied"
    AWAITING_APPROVAL = "awaiting_approval"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class BudgetRaise:
    """One raise. `total_after` is the budget's total once this raise was applied (None until
    then); `decided_by` the second staff member who approved or rejected it (None for a raise
    applied at once, under the threshold)."""

    id: uuid.UUID
    budget: str
    increase: Money
    requested_by: str
    requested_at: datetime
    state: RaiseState
    decided_by: str | None = None
    decided_at: datetime | None = None
    total_after: Money | None = None

    def __post_init__(self) -> None:
        validate_budget_code(self.budget)
        if self.increase.amount <= 0:
            raise InvalidField("increase", "a raise adds more than nothing")
        if (self.state is RaiseState.APPLIED) != (self.total_after is not None):
            raise InvalidField("total_after", "an applied raise, and only one, has its total")
        if (self.decided_by is None) != (self.decided_at is None):
            raise InvalidField("decided_by", "a decision names who made it and when")
        if self.state is RaiseState.AWAITING_APPROVAL and self.decided_by is not None:
            raise InvalidField("decided_by", "a raise awaiting approval is not decided yet")
        if self.decided_by is not None and self.decided_by == self.requested_by:
            raise InvalidField("decided_by", "the second pair of eyes belongs to someone else")

    @property
    def currency(self) -> Currency:
        return self.increase.currency

    def same_request(self, budget: str, increase: Money, requested_by: str) -> None:
        """A repeat of the request id must ask for the same raise (`IdempotencyConflict`)."""
        if (self.budget, self.increase, self.requested_by) != (budget, increase, requested_by):
            raise IdempotencyConflict(f"the raise {self.id} asked for something else")

    def _decide(self, by: str, now: datetime) -> None:
        if self.state is not RaiseState.AWAITING_APPROVAL:
            raise IllegalTransition(f"the raise {self.id} is {self.state}, not awaiting approval")
        if by == self.requested_by:
            raise Forbidden("the second pair of eyes must belong to someone else")

    def approve(self, by: str, now: datetime, total_after: Money) -> BudgetRaise:
        self._decide(by, now)
        return replace(
            self,
            state=RaiseState.APPLIED,
            decided_by=by,
            decided_at=now,
            total_after=total_after,
        )

    def reject(self, by: str, now: datetime) -> BudgetRaise:
        self._decide(by, now)
        return replace(self, state=RaiseState.REJECTED, decided_by=by, decided_at=now)
