"""Raising a promotion budget on in-memory fakes (docs/bonuses.md#raising-a-budget): one road
for every raise (staff, and the referral budget's console command), under the campaigns'
four-eyes threshold counted per staff member over the window with the campaigns they created;
a second staff member approves or rejects; idempotent by request id; audited. Over HTTP and on
PostgreSQL: tests/entrypoints/test_http_budget_raises.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from application.campaigns import CreateCampaign
from application.promotions.raise_budget import DecideBudgetRaise, ListBudgetRaises, RaiseBudget
from application.referrals import SetReferralBudget
from application.staff import Actor
from domain.adjustments import FourEyesPolicy
from domain.budget_raises import RaiseState
from domain.campaigns import (
    Audience,
    BonusTerms,
    Campaign,
    CampaignFourEyes,
    CampaignKind,
    CampaignState,
    Target,
)
from domain.errors import (
    Forbidden,
    IdempotencyConflict,
    IllegalTransition,
    InvalidField,
    InvalidRequest,
    NotFound,
)
from domain.money import TON, XTR, Money
from domain.staff import AuditAction
from tests.fakes import FakeClock, FakeDatabase

ALICE, BOB, CLI = Actor("staff:alice"), Actor("staff:bob"), Actor("cli")
START = datetime(2026, 12, 3, 12, tzinfo=UTC)
FOUR_EYES = CampaignFourEyes(FourEyesPolicy({"XTR": 10_000}))


def stars(amount: int) -> Money:
    return Money(amount, XTR)


class Casino:
    def __init__(self) -> None:
        self.db, self.clock = FakeDatabase(), FakeClock(START)
        self.raise_budget = RaiseBudget(self.db, self.clock, FOUR_EYES)
        self.decide = DecideBudgetRaise(self.db, self.clock)
        self.create = CreateCampaign(self.db, self.clock, FOUR_EYES)

    async def budget(self, code: str = "spring", total: int = 1_000) -> str:
        async with self.db() as uow:
            await uow.budgets.open(code, stars(total))
            await uow.commit()
        return code

    async def total(self, code: str) -> int:
        async with self.db() as uow:
            return (await uow.budgets.get(code)).total.amount

    async def campaign(self, code: str, budget: int, by: Actor) -> CampaignState:
        made = Campaign(
            code=code,
            kind=CampaignKind.PROMO_CODE,
            budget=stars(budget),
            starts_at=START,
            ends_at=START + timedelta(days=30),
            target=Target(Audience.ALL, frozenset()),
            terms=BonusTerms(wagering_multiple=30, expires_after=timedelta(days=7)),
            created_by=by.label,
            created_at=START,
            amount=stars(10),
        )
        return (await self.create(made, by)).campaign.state

    def audited(self) -> list[tuple[AuditAction, str]]:
        return [(e.action, e.actor) for e in self.db.state.audit if e.subject.startswith("budget:")]


async def test_a_raise_under_the_threshold_applies_at_once_once_per_request_id() -> None:
    casino = Casino()
    code = await casino.budget(total=1_000)
    request = uuid.uuid4()
    raised = await casino.raise_budget(code, stars(2_500), ALICE, request)
    assert raised.raised is not None
    assert (raised.raised.state, raised.raised.total_after) == (RaiseState.APPLIED, stars(3_500))
    assert raised.budget.total == stars(3_500)
    assert await casino.raise_budget(code, stars(2_500), ALICE, request) == raised
    assert await casino.total(code) == 3_500
    with pytest.raises(IdempotencyConflict):
        await casino.raise_budget(code, stars(2_600), ALICE, request)
    with pytest.raises(IdempotencyConflict):
        await casino.raise_budget(code, stars(2_500), BOB, request)
    assert casino.audited() == [(AuditAction.BUDGET_RAISED, "staff:alice")]


async def test_raises_add_up_with_the_campaigns_a_staff_member_created() -> None:
    """Alice creates a 6,000 ⭐ campaign and raises it by 3,000 ⭐ (9,000 ⭐: applied); a
    further 2,000 ⭐ makes 11,000 ⭐ > 10,000 ⭐: it waits; Bob approves it. Her next campaign,
    however small, waits too; the next day's window starts afresh."""
    casino = Casino()
    assert await casino.campaign("spring", 6_000, ALICE) is CampaignState.ACTIVE
    first = await casino.raise_budget("spring", stars(3_000), ALICE, uuid.uuid4())
    assert first.raised is not None
    assert first.raised.state is RaiseState.APPLIED
    waiting = await casino.raise_budget("spring", stars(2_000), ALICE, uuid.uuid4())
    assert waiting.raised is not None
    assert waiting.raised.state is RaiseState.AWAITING_APPROVAL
    assert await casino.total("spring") == 9_000
    assert await casino.campaign("summer", 100, ALICE) is CampaignState.AWAITING_APPROVAL
    assert [r.id for r in await ListBudgetRaises(casino.db)(RaiseState.AWAITING_APPROVAL)] == [
        waiting.raised.id
    ]
    with pytest.raises(Forbidden):
        await casino.decide(waiting.raised.id, True, ALICE)
    approved = await casino.decide(waiting.raised.id, True, BOB)
    assert approved.raised is not None
    assert (approved.raised.state, approved.raised.decided_by) == (
        RaiseState.APPLIED,
        "staff:bob",
    )
    assert approved.budget.total == stars(11_000) == approved.raised.total_after
    with pytest.raises(IllegalTransition):
        await casino.decide(waiting.raised.id, False, BOB)
    # Bob's count is his own: 9,000 ⭐ applies at once.
    bobs = await casino.raise_budget("spring", stars(9_000), BOB, uuid.uuid4())
    assert bobs.raised is not None
    assert bobs.raised.state is RaiseState.APPLIED
    casino.clock.advance(hours=25)
    later = await casino.raise_budget("spring", stars(9_000), ALICE, uuid.uuid4())
    assert later.raised is not None
    assert later.raised.state is RaiseState.APPLIED
    assert casino.audited() == [
        (AuditAction.BUDGET_RAISED, "staff:alice"),
        (AuditAction.BUDGET_RAISE_REQUESTED, "staff:alice"),
        (AuditAction.BUDGET_RAISE_APPROVED, "staff:bob"),
        (AuditAction.BUDGET_RAISED, "staff:bob"),
        (AuditAction.BUDGET_RAISED, "staff:alice"),
    ]


async def test_a_rejected_raise_moves_nothing_and_no_longer_counts() -> None:
    casino = Casino()
    code = await casino.budget()
    big = await casino.raise_budget(code, stars(20_000), ALICE, uuid.uuid4())
    assert big.raised is not None
    assert big.raised.state is RaiseState.AWAITING_APPROVAL
    rejected = await casino.decide(big.raised.id, False, BOB)
    assert rejected.raised is not None
    assert (rejected.raised.state, rejected.raised.total_after) == (RaiseState.REJECTED, None)
    assert await casino.total(code) == 1_000
    small = await casino.raise_budget(code, stars(5_000), ALICE, uuid.uuid4())
    assert small.raised is not None
    assert small.raised.state is RaiseState.APPLIED


@pytest.mark.parametrize(
    ("code", "increase", "error"),
    [
        ("spring", stars(0), InvalidRequest),
        ("spring", stars(-10), InvalidRequest),
        ("spring", Money(5, TON), InvalidField),
        ("autumn", stars(10), NotFound),
    ],
)
async def test_bad_raises_are_refused_and_write_nothing(code, increase, error) -> None:
    casino = Casino()
    await casino.budget("spring")
    with pytest.raises(error):
        await casino.raise_budget(code, increase, ALICE, uuid.uuid4())
    assert await casino.total("spring") == 1_000
    assert casino.db.state.budget_raises == {}
    assert casino.audited() == []


async def test_the_referral_budget_command_raises_on_the_same_road() -> None:
    """`croupier referrals budget XTR …`: opening is no raise; raising it is the console's
    raise (`cli`), counted and audited like any other: above the threshold it waits for a
    staff member; lowering the total is refused."""
    casino = Casino()
    command = SetReferralBudget(casino.db, casino.raise_budget)
    opened = await command(stars(50_000))
    assert (opened.raised, opened.budget.total) == (None, stars(50_000))
    small = await command(stars(55_000))
    assert small.raised is not None
    assert small.raised.state is RaiseState.APPLIED
    assert (await command(stars(55_000))).raised is None
    large = await command(stars(70_000))  # 5,000 + 15,000 by the console today
    assert large.raised is not None
    assert (large.raised.state, large.budget.total) == (RaiseState.AWAITING_APPROVAL, stars(55_000))
    with pytest.raises(IllegalTransition):
        await command(stars(1_000))
    await casino.decide(large.raised.id, True, BOB)
    assert await casino.total("referral-xtr") == 70_000
    assert casino.audited() == [
        (AuditAction.BUDGET_RAISED, "cli"),
        (AuditAction.BUDGET_RAISE_REQUESTED, "cli"),
        (AuditAction.BUDGET_RAISE_APPROVED, "staff:bob"),
    ]
