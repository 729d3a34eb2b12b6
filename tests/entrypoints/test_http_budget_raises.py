"""Raising a promotion budget over the admin API (docs/bonuses.md#raising-a-budget,
docs/api-http.md): operators raise a budget's total; a raise above the campaigns' four-eyes
limit (10,000 ⭐ by default), alone or added to what the staff member budgeted over the window
(campaigns created and raises asked for), waits for another staff member's approval; every
raise and decision is in the audit log; bad input is problem details."""

from __future__ import annotations

import uuid

import pytest

from application.promotions.raise_budget import RaiseBudget
from application.staff import Actor
from domain.money import XTR, Money
from tests.conftest import race
from tests.entrypoints.test_http_campaigns import _body

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


async def _campaign(api, who, budget: int) -> str:
    created = await api.post("/api/v1/campaigns/", json=_body(budget=budget), headers=who)
    assert created.status_code == 201, created.text
    return created.json()["code"]


async def _raise(api, who, code: str, increase: int, request_id: str | None = None, **more):
    body = {"increase": increase, "currency": "XTR", "request_id": request_id or str(uuid.uuid4())}
    return await api.post(
        f"/api/v1/promotion-budgets/{code}/raises", json={**body, **more}, headers=who
    )


async def _total(api, who, code: str) -> int:
    listing = await api.get("/api/v1/promotion-budgets/", headers=who)
    (budget,) = [b for b in listing.json()["budgets"] if b["code"] == code]
    return budget["total"]


async def test_a_small_raise_applies_at_once_and_a_repeat_answers_it(api, staff):
    alice = await staff("operator")
    code = await _campaign(api, alice, 1_000)
    request_id = str(uuid.uuid4())
    raised = await _raise(api, alice, code, 2_000, request_id)
    assert raised.status_code == 201, raised.text
    view = raised.json()
    assert view["raised"]["state"] == "applied"
    assert (view["raised"]["total_after"], view["budget_total"], view["budget_left"]) == (
        3_000,
        3_000,
        3_000,
    )
    again = await _raise(api, alice, code, 2_000, request_id)
    assert again.json()["raised"]["id"] == view["raised"]["id"]
    assert await _total(api, alice, code) == 3_000  # once
    other = await _raise(api, alice, code, 2_500, request_id)
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_conflict")


async def test_raises_add_up_with_campaigns_per_staff_member_and_wait_for_four_eyes(api, staff):
    alice, bob = await staff("operator"), await staff("operator")
    code = await _campaign(api, alice, 6_000)  # active: 6,000 ⭐ by Alice today
    small = await _raise(api, alice, code, 3_000)  # 9,000 ⭐: applied
    assert small.json()["raised"]["state"] == "applied", small.text
    waiting = await _raise(api, alice, code, 2_000)  # 11,000 ⭐ > 10,000 ⭐: waits
    assert waiting.status_code == 201, waiting.text
    pending = waiting.json()["raised"]
    assert (pending["state"], waiting.json()["budget_total"]) == ("awaiting_approval", 9_000)
    # Her next campaign counts the raises too: 6,000 + 3,000 + 2,000 + 1,000 > 10,000.
    later = await api.post("/api/v1/campaigns/", json=_body(budget=1_000), headers=alice)
    assert later.json()["state"] == "awaiting_approval", later.text
    listed = await api.get(
        "/api/v1/promotion-budgets/raises", params={"state": "awaiting_approval"}, headers=bob
    )
    assert pending["id"] in [r["id"] for r in listed.json()["raises"]]
    own = await api.post(f"/api/v1/promotion-budgets/raises/{pending['id']}/approve", headers=alice)
    assert (own.status_code, own.json()["code"]) == (403, "forbidden"), own.text
    approved = await api.post(
        f"/api/v1/promotion-budgets/raises/{pending['id']}/approve", headers=bob
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["raised"]["state"] == "applied"
    assert approved.json()["budget_total"] == 11_000
    twice = await api.post(f"/api/v1/promotion-budgets/raises/{pending['id']}/approve", headers=bob)
    assert (twice.status_code, twice.json()["code"]) == (409, "illegal_transition")
    # Bob's own raise is counted for Bob: 4,000 ⭐ applies at once.
    assert (await _raise(api, bob, code, 4_000)).json()["raised"]["state"] == "applied"
    admin = await staff("admin")  # the audit log is the admins'
    audit = await api.get("/api/v1/audit", params={"subject": f"budget:{code}"}, headers=admin)
    actions = sorted(e["action"] for e in audit.json()["entries"])
    assert actions == sorted(
        ["budget_raised", "budget_raise_requested", "budget_raise_approved", "budget_raised"]
    )


async def test_a_rejected_raise_changes_nothing_and_counts_nothing(api, staff):
    alice, bob = await staff("operator"), await staff("operator")
    code = await _campaign(api, alice, 1_000)
    waiting = (await _raise(api, alice, code, 20_000)).json()["raised"]
    assert waiting["state"] == "awaiting_approval"
    rejected = await api.post(
        f"/api/v1/promotion-budgets/raises/{waiting['id']}/reject", headers=bob
    )
    assert (rejected.status_code, rejected.json()["raised"]["state"]) == (200, "rejected")
    assert await _total(api, alice, code) == 1_000
    assert (await _raise(api, alice, code, 5_000)).json()["raised"]["state"] == "applied"


async def test_only_operators_raise_budgets(api, staff):
    alice, viewer = await staff("operator"), await staff("viewer")
    code = await _campaign(api, alice, 1_000)
    refused = await _raise(api, viewer, code, 100)
    assert refused.status_code == 403, refused.text
    assert (await api.get("/api/v1/promotion-budgets/raises", headers=viewer)).status_code == 403


@pytest.mark.parametrize(
    ("change", "status", "problem"),
    [
        ({"increase": 0}, 400, "invalid_request"),
        ({"increase": -5}, 400, "invalid_request"),
        ({"currency": "TON"}, 400, "invalid_request"),
        ({"currency": "NOPE"}, 400, "invalid_request"),
        ({"budget": "no-such-budget"}, 404, "not_found"),
        ({"extra": 1}, 400, None),
        ({"request_id": "not-a-uuid"}, 400, None),
    ],
)
async def test_bad_input_is_problem_details(api, staff, change, status, problem):
    alice = await staff("operator")
    code = await _campaign(api, alice, 1_000)
    target = change.pop("budget", code)
    answer = await _raise(api, alice, target, change.pop("increase", 100), **change)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    if problem is not None:
        assert answer.json()["code"] == problem
    assert await _total(api, alice, code) == 1_000  # nothing written


async def test_concurrent_raises_by_one_staff_member_are_counted_one_after_another(
    api, staff, http_container
):
    """Six raises of 4,000 ⭐ by Alice at the same instant, each on its own connection: her
    sum is read under her lock, so two apply (8,000 ⭐) and four wait, never more applied."""
    name = f"alice-{uuid.uuid4().hex[:8]}"
    alice = await staff("operator", username=name)
    code = await _campaign(api, alice, 100)
    actor = Actor(f"staff:{name}")

    async def one(i: int):
        async with http_container() as scope:
            raise_budget = await scope.get(RaiseBudget)
            return await raise_budget(code, Money(4_000, XTR), actor, uuid.uuid4())

    results = await race(6, one)
    states = sorted(r.raised.state.value for r in results)
    assert states == ["applied"] * 2 + ["awaiting_approval"] * 4, results
    assert await _total(api, alice, code) == 8_100
