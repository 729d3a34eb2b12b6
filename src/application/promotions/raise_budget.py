"""Raising a promotion budget's total: the one road of every raise (staff over HTTP, the
referral budget's console command), under the campaigns' four-eyes rule and in the audit
log (docs/bonuses.md#raising-a-budget)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.promotions.four_eyes import budgeted_since
from application.staff import Actor
from domain.adjustments import WindowTotals
from domain.budget_raises import BudgetRaise, RaiseState
from domain.campaigns import CampaignFourEyes
from domain.errors import InvalidField, NotFound
from domain.money import Money
from domain.promotions import PromotionBudget
from domain.staff import AuditAction, AuditEntry


@dataclass(frozen=True, slots=True)
class RaisedBudget:
    """A raise (None: nothing to raise, or a budget just opened) and its budget after it
    (unchanged while the raise awaits approval)."""

    raised: BudgetRaise | None
    budget: PromotionBudget


def raise_record(raised: BudgetRaise) -> dict[str, object]:
    return {
        "raise_id": str(raised.id),
        "budget": raised.budget,
        "currency": raised.currency.code,
        "increase": raised.increase.amount,
        "state": raised.state.value,
        "requested_by": raised.requested_by,
        "decided_by": raised.decided_by,
        "total_after": None if raised.total_after is None else raised.total_after.amount,
    }


async def _audit(
    uow: UnitOfWork, action: AuditAction, actor: Actor, raised: BudgetRaise, before: object
) -> None:
    at = raised.decided_at or raised.requested_at
    await uow.audit.record(
        AuditEntry(
            action,
            at,
            actor.label,
            f"budget:{raised.budget}",
            actor.source,
            before={"total": before},
            after=raise_record(raised),
        )
    )


class RaiseBudget:
    """Add `increase` to the budget `code`'s total. When the increase, or the increase added
    to what the staff member budgeted in the currency over the four-eyes window (campaigns
    created and raises asked for), exceeds the campaigns' threshold, the raise waits
    (`awaiting_approval`, the total unchanged) for another staff member's `DecideBudgetRaise`;
    otherwise it is applied at once. `request_id` makes it idempotent: a repeat answers the
    first raise, the same id asking for another raise is `IdempotencyConflict`."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, four_eyes: CampaignFourEyes) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = four_eyes.policy

    async def __call__(
        self, code: str, increase: Money, actor: Actor, request_id: uuid.UUID
    ) -> RaisedBudget:
        if increase.amount <= 0:
            raise InvalidField("increase", "a raise adds more than nothing")
        increase.require_single()
        now = self._clock.now()
        async with self._uow() as uow:
            try:
                known = await uow.budgets.get_raise(request_id)
            except NotFound:
                pass
            else:
                known.same_request(code, increase, actor.label)
                return RaisedBudget(known, await uow.budgets.get(known.budget))
            budget = await uow.budgets.get(code)
            if budget.currency != increase.currency:
                raise InvalidField("currency", f"budget {code!r} is in {budget.currency.code}")
            already = await budgeted_since(
                uow, actor.label, increase.currency, now - self._policy.window
            )
            waits = self._policy.needs_approval(increase, WindowTotals(staff=already))
            before = budget.total.amount
            if waits:
                raised = BudgetRaise(
                    request_id, code, increase, actor.label, now, RaiseState.AWAITING_APPROVAL
                )
            else:
                budget = await uow.budgets.raise_total(code, increase)
                raised = BudgetRaise(
                    request_id,
                    code,
                    increase,
                    actor.label,
                    now,
                    RaiseState.APPLIED,
                    total_after=budget.total,
                )
            stored = await uow.budgets.add_raise(raised)
            if stored != raised:
                # The same id was recorded meanwhile (a double submit): answer that one and
                # roll this one back, its total change included.
                stored.same_request(code, increase, actor.label)
                return RaisedBudget(stored, await uow.budgets.get(code))
            action = AuditAction.BUDGET_RAISE_REQUESTED if waits else AuditAction.BUDGET_RAISED
            await _audit(uow, action, actor, raised, before)
            await uow.commit()
        return RaisedBudget(raised, budget)


class DecideBudgetRaise:
    """A second staff member approves (the total grows by the raise) or rejects a raise
    awaiting approval, under its row lock (two at once decide it once; the second is
    `IllegalTransition`); whoever asked for it may not decide it (`Forbidden`). Audited."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, raise_id: uuid.UUID, approve: bool, actor: Actor) -> RaisedBudget:
        now = self._clock.now()
        async with self._uow() as uow:
            pending = await uow.budgets.get_raise(raise_id, for_update=True)
            budget = await uow.budgets.get(pending.budget)
            before = budget.total.amount
            if approve:
                pending.approve(actor.label, now, budget.total)  # refused before any change
                budget = await uow.budgets.raise_total(pending.budget, pending.increase)
                decided = pending.approve(actor.label, now, budget.total)
                action = AuditAction.BUDGET_RAISE_APPROVED
            else:
                decided = pending.reject(actor.label, now)
                action = AuditAction.BUDGET_RAISE_REJECTED
            await uow.budgets.decide_raise(decided)
            await _audit(uow, action, actor, decided, before)
            await uow.commit()
        return RaisedBudget(decided, budget)


class ListBudgetRaises:
    """The newest raises first (of one state, or all)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, state: RaiseState | None, limit: int = 100) -> Sequence[BudgetRaise]:
        async with self._uow() as uow:
            return await uow.budgets.raises(state, limit)
