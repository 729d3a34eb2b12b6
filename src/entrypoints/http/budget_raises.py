"""Operators raise a promotion budget's total; above the campaigns' four-eyes threshold
(counted per staff member over the window, with the campaigns they created) a raise waits
for another staff member's approval (docs/bonuses.md#raising-a-budget)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, JSONBody, QueryParameter

from application.promotions.raise_budget import (
    DecideBudgetRaise,
    ListBudgetRaises,
    RaiseBudget,
    RaisedBudget,
)
from application.staff import Actor
from domain.budget_raises import BudgetRaise, RaiseState
from domain.errors import InvalidField
from domain.money import CurrencyRegistry, Money
from domain.quoting import excerpt
from entrypoints.http.auth import SECURITY, provide_actor
from entrypoints.http.campaigns import OPERATOR
from entrypoints.http.decisions import Decision


class RaiseBody(msgspec.Struct, forbid_unknown_fields=True):
    increase: Annotated[int, msgspec.Meta(description="Minor units added to the total, > 0")]
    currency: Annotated[str, msgspec.Meta(description="The budget's currency, e.g. XTR")]
    request_id: Annotated[
        uuid.UUID,
        msgspec.Meta(description="Your id for this raise: a repeat answers the first raise"),
    ]


class RaiseView(msgspec.Struct):
    id: str
    budget: str
    currency: str
    increase: int
    state: str  # applied | awaiting_approval | rejected
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    total_after: int | None  # the budget's total once this raise was applied


class RaisedView(msgspec.Struct):
    raised: RaiseView
    budget_total: int
    budget_spent: int
    budget_left: int


class RaiseList(msgspec.Struct):
    raises: list[RaiseView]


def _raise(r: BudgetRaise) -> RaiseView:
    return RaiseView(
        id=str(r.id),
        budget=r.budget,
        currency=r.currency.code,
        increase=r.increase.amount,
        state=r.state.value,
        requested_by=r.requested_by,
        requested_at=r.requested_at,
        decided_by=r.decided_by,
        decided_at=r.decided_at,
        total_after=None if r.total_after is None else r.total_after.amount,
    )


def _raised(result: RaisedBudget) -> RaisedView:
    assert result.raised is not None, "a staff raise always records its raise"
    budget = result.budget
    return RaisedView(
        _raise(result.raised), budget.total.amount, budget.spent.amount, budget.remaining.amount
    )


def _decision(name: str, approve: bool, summary: str) -> HTTPRouteHandler:
    return Decision(
        f"/raises/{{raise_id:uuid}}/{name}",
        OPERATOR,
        summary,
        DecideBudgetRaise,
        lambda decide, raise_id, _, actor: decide(raise_id, approve, actor),
        _raised,
    ).handler()


class BudgetRaisesController(Controller):
    path = "/api/v1/promotion-budgets"
    tags = ["promotions"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = SECURITY
    dependencies = {"actor": Provide(provide_actor)}  # noqa: RUF012

    @post(
        "/{code:str}/raises",
        guards=[OPERATOR],
        status_code=201,
        summary="Raise a budget's total; above the four-eyes limit (with what you budgeted "
        "over the window) it waits for another staff member's approval",
    )
    @inject
    async def raise_total(
        self,
        code: FromPath[str],
        data: JSONBody[RaiseBody],
        actor: NamedDependency[Actor],
        raise_budget: FromDishka[RaiseBudget],
        currencies: FromDishka[CurrencyRegistry],
    ) -> RaisedView:
        try:
            currency = currencies.get(data.currency.upper())
        except Exception as error:
            raise InvalidField("currency", f"unknown currency {excerpt(data.currency)}") from error
        return _raised(
            await raise_budget(code, Money(data.increase, currency), actor, data.request_id)
        )

    @get("/raises", guards=[OPERATOR], summary="Budget raises, newest first")
    @inject
    async def list_raises(
        self,
        listing: FromDishka[ListBudgetRaises],
        wanted: Annotated[RaiseState | None, QueryParameter(name="state")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> RaiseList:
        return RaiseList([_raise(r) for r in await listing(wanted, limit)])

    approve = _decision("approve", True, "Approve a budget raise awaiting four eyes (not yours)")
    reject = _decision("reject", False, "Reject a budget raise awaiting four eyes (not yours)")
