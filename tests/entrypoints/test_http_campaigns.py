"""Campaigns over the admin API (docs/api-http.md, "Campaigns"): operators create, pause,
resume and end them; above the four-eyes limit (10,000 ⭐ by default, counted per staff
member) a campaign waits for another staff member's approval; the campaign's page shows its
budget and redemptions; every step is in the audit log; bad input is problem details."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from application.campaigns import RedeemPromoCode

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


def _body(**more: object) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "code": f"Http-{secrets.token_hex(5)}",
        "kind": "promo_code",
        "currency": "XTR",
        "amount": 25,
        "budget": 1_000,
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=7)).isoformat(),
        "wagering_multiple": 30,
        "expires_after_hours": 72,
        **more,
    }


async def test_an_operator_runs_a_campaign_and_its_page_shows_the_budget(
    api, staff, http_container, new_player
):
    alice = await staff("operator")
    created = await api.post("/api/v1/campaigns/", json=_body(max_uses=3), headers=alice)
    assert created.status_code == 201, created.text
    campaign = created.json()
    code = campaign["code"]
    assert code == code.lower()
    assert (campaign["state"], campaign["budget_left"], campaign["uses"]) == ("active", 1_000, 0)
    player = await new_player()
    async with http_container() as scope:
        await (await scope.get(RedeemPromoCode))(player.id, code.upper())
    page = await api.get(f"/api/v1/campaigns/{code}", headers=alice)
    shown = page.json()
    assert (shown["budget_spent"], shown["budget_left"], shown["uses"]) == (25, 975, 1)
    assert [r["player_id"] for r in shown["redemptions"]] == [player.id]
    assert shown["redemptions"][0]["amount"] == 25
    for step, state in (("pause", "paused"), ("resume", "active"), ("end", "ended")):
        answer = await api.post(f"/api/v1/campaigns/{code}/{step}", headers=alice)
        assert (answer.status_code, answer.json()["state"]) == (200, state), answer.text
    again = await api.post(f"/api/v1/campaigns/{code}/resume", headers=alice)
    assert (again.status_code, again.json()["code"]) == (409, "illegal_transition")
    ended = await api.get("/api/v1/campaigns", params={"state": "ended"}, headers=alice)
    assert code in [c["code"] for c in ended.json()["campaigns"]]
    admin = await staff("admin")  # the audit log is the admins'
    audit = await api.get("/api/v1/audit", params={"subject": f"campaign:{code}"}, headers=admin)
    actions = sorted(e["action"] for e in audit.json()["entries"])
    assert actions == sorted(
        ["campaign_created", "campaign_paused", "campaign_resumed", "campaign_ended"]
    )
    granted = await api.get(
        "/api/v1/audit", params={"subject": f"player:{player.id}"}, headers=admin
    )
    assert "campaign_granted" in [e["action"] for e in granted.json()["entries"]]


async def test_a_large_budget_waits_for_a_second_staff_member(api, staff):
    alice, bob = await staff("operator"), await staff("operator")
    first = await api.post("/api/v1/campaigns/", json=_body(budget=6_000), headers=alice)
    second = await api.post("/api/v1/campaigns/", json=_body(budget=6_000), headers=alice)
    assert first.json()["state"] == "active"
    assert second.json()["state"] == "awaiting_approval"  # 12,000 ⭐ by Alice today
    code = second.json()["code"]
    own = await api.post(f"/api/v1/campaigns/{code}/approve", headers=alice)
    assert (own.status_code, own.json()["code"]) == (403, "forbidden"), own.text
    approved = await api.post(f"/api/v1/campaigns/{code}/approve", headers=bob)
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "active"
    assert approved.json()["approved_by"] not in (None, approved.json()["created_by"])


async def test_only_operators_change_campaigns(api, staff):
    viewer = await staff("viewer")
    refused = await api.post("/api/v1/campaigns/", json=_body(), headers=viewer)
    assert refused.status_code == 403, refused.text
    assert (await api.get("/api/v1/campaigns", headers=viewer)).status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "x"}, "code"),
        ({"currency": "NOPE"}, "currency"),
        ({"amount": 0}, "amount"),
        ({"amount": 2_000, "budget": 1_000}, "budget"),
        ({"kind": "deposit_match"}, "match_percent"),
        ({"audience": "list"}, "players"),
        ({"expires_after_hours": 0}, "expires_after_hours"),
        ({"wagering_multiple": 5_000}, "wagering_multiple"),
        ({"ends_at": "2020-01-01T00:00:00Z"}, "ends_at"),
    ],
)
async def test_bad_input_is_problem_details(api, staff, change, field):
    alice = await staff("operator")
    answer = await api.post("/api/v1/campaigns/", json=_body(**change), headers=alice)
    assert answer.status_code in (400, 422), answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in answer.text


async def test_undecodable_input_is_problem_details(api, staff):
    alice = await staff("operator")
    for body in (
        _body(starts_at="2026-12-03T10:00:00"),  # no offset
        _body(kind="lottery"),  # no such kind
        {**_body(), "surprise": 1},
    ):
        answer = await api.post("/api/v1/campaigns/", json=body, headers=alice)
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
    body = _body()
    assert (await api.post("/api/v1/campaigns/", json=body, headers=alice)).status_code == 201
    taken = await api.post("/api/v1/campaigns/", json=body, headers=alice)
    assert (taken.status_code, taken.json()["code"]) == (409, "idempotency_conflict"), taken.text
    missing = await api.get("/api/v1/campaigns/no-such-campaign", headers=alice)
    assert missing.status_code == 404, missing.text


async def test_staff_grant_a_no_deposit_bonus_to_a_list(api, staff, new_player):
    alice = await staff("operator")
    created = await api.post(
        "/api/v1/campaigns/", json=_body(kind="no_deposit", amount=15), headers=alice
    )
    code = created.json()["code"]
    ann, unconfirmed = await new_player(), await new_player(accept_terms=False)
    granted = await api.post(
        f"/api/v1/campaigns/{code}/grants",
        json={"players": [ann.id, unconfirmed.id]},
        headers=alice,
    )
    assert granted.status_code == 200, granted.text
    assert [g["player_id"] for g in granted.json()["granted"]] == [ann.id]
    assert granted.json()["skipped"] == [unconfirmed.id]
