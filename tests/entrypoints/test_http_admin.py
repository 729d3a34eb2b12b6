"""Adjustments with four eyes, game configuration, the audit log and metrics, over HTTP."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from application.registration import RegisterPlayerCommand
from domain.money import XTR
from entrypoints.cli import main

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


@pytest.fixture
def new_player_id(register, new_telegram_id):
    async def make() -> int:
        registration = await register(
            RegisterPlayerCommand(new_telegram_id(), currencies=(XTR,), accept_terms=True)
        )
        return registration.player.id

    return make


async def _audit(engine, action: str, subject: str) -> list:
    async with engine.connect() as conn:
        return list(
            await conn.execute(
                text(
                    "SELECT actor, before, after FROM audit_log WHERE action = :a AND subject = :s"
                    " ORDER BY id"
                ),
                {"a": action, "s": subject},
            )
        )


async def test_a_small_adjustment_posts_at_once(api, staff, new_player_id, engine):
    finance = await staff("finance")
    player = await new_player_id()
    response = await api.post(
        "/api/v1/adjustments/",
        headers=finance,
        json={"player_id": player, "amount": 250, "currency": "XTR", "reason": "goodwill"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "approved"
    assert body["balance"] == 250
    assert body["transaction_id"]
    entries = await _audit(engine, "adjustment_posted", f"player:{player}")
    assert len(entries) == 1
    assert entries[0].after["amount"] == 250


async def test_a_large_adjustment_needs_a_second_finance_user(api, staff, new_player_id, engine):
    alice, bob = await staff("finance"), await staff("finance")
    player = await new_player_id()
    request_id = str(uuid.uuid4())
    created = await api.post(
        "/api/v1/adjustments/",
        headers=alice,
        json={
            "player_id": player,
            "amount": 5000,
            "currency": "XTR",
            "reason": "tournament prize",
            "request_id": request_id,
        },
    )
    assert created.status_code == 201
    assert created.json()["state"] == "pending"
    assert created.json()["balance"] is None

    own = await api.post(f"/api/v1/adjustments/{request_id}/approve", headers=alice)
    assert own.status_code == 403
    assert own.json()["code"] == "forbidden"

    pending = await api.get("/api/v1/adjustments/", params={"state": "pending"}, headers=bob)
    assert request_id in [a["id"] for a in pending.json()["adjustments"]]

    approved = await api.post(f"/api/v1/adjustments/{request_id}/approve", headers=bob)
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"
    assert approved.json()["balance"] == 5000
    again = await api.post(f"/api/v1/adjustments/{request_id}/reject", headers=bob)
    assert again.status_code == 409
    assert len(await _audit(engine, "adjustment_approved", f"player:{player}")) == 1


async def test_a_rejected_adjustment_moves_nothing(api, staff, new_player_id):
    alice, bob = await staff("finance"), await staff("admin")
    player = await new_player_id()
    created = await api.post(
        "/api/v1/adjustments/",
        headers=alice,
        json={"player_id": player, "amount": -5000, "currency": "XTR", "reason": "chargeback"},
    )
    rejected = await api.post(f"/api/v1/adjustments/{created.json()['id']}/reject", headers=bob)
    assert rejected.json()["state"] == "rejected"
    assert rejected.json()["transaction_id"] is None


async def test_adjustments_refuse_bad_input_and_wrong_roles(api, staff, new_player_id):
    finance, support = await staff("finance"), await staff("support")
    player = await new_player_id()
    body = {"player_id": player, "amount": 10, "currency": "XTR", "reason": "x"}
    assert (await api.post("/api/v1/adjustments/", headers=support, json=body)).status_code == 403
    no_reason = await api.post("/api/v1/adjustments/", headers=finance, json=body | {"reason": " "})
    assert no_reason.status_code == 400
    currency = await api.post(
        "/api/v1/adjustments/", headers=finance, json=body | {"currency": "DOGE"}
    )
    assert currency.status_code == 400
    assert currency.json()["errors"][0]["field"] == "currency"
    overdraw = await api.post("/api/v1/adjustments/", headers=finance, json=body | {"amount": -10})
    assert overdraw.status_code == 409
    assert overdraw.json()["code"] == "insufficient_funds"
    unknown = await api.post(
        "/api/v1/adjustments/", headers=finance, json=body | {"player_id": 10**15}
    )
    assert unknown.status_code == 404
    extra = await api.post("/api/v1/adjustments/", headers=finance, json=body | {"bonus": 1})
    assert extra.status_code == 400


async def test_operators_change_games_and_every_change_is_audited(api, staff, engine):
    operator, viewer = await staff("operator"), await staff("viewer")
    listed = await api.get("/api/v1/games/", headers=viewer)
    assert listed.status_code == 200
    coin = next(g for g in listed.json()["games"] if g["code"] == "coin")
    assert coin["house_edge"] == "0.01"
    assert coin["limits"]["XTR"]["min_stake"] == 1

    denied = await api.patch("/api/v1/games/coin", headers=viewer, json={"enabled": False})
    assert denied.status_code == 403
    changed = await api.patch(
        "/api/v1/games/tg_bowling",
        headers=operator,
        json={
            "house_edge": "0.04",
            "limits": {"FUN": {"min_stake": 200, "max_stake": 10000, "max_payout": 100000}},
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["house_edge"] == "0.04"
    assert changed.json()["limits"]["FUN"]["min_stake"] == 200
    too_greedy = await api.patch(
        "/api/v1/games/tg_bowling", headers=operator, json={"house_edge": "0.2"}
    )
    assert too_greedy.status_code == 400
    assert "RTP" in too_greedy.json()["detail"]
    bad_limits = await api.patch(
        "/api/v1/games/tg_bowling",
        headers=operator,
        json={"limits": {"FUN": {"min_stake": 10, "max_stake": 5, "max_payout": 100}}},
    )
    assert bad_limits.status_code == 400
    unknown = await api.patch("/api/v1/games/poker", headers=operator, json={"enabled": False})
    assert unknown.status_code == 409
    entries = await _audit(engine, "game_changed", "game:tg_bowling")
    assert entries[-1].before["house_edge"] == "3/100"
    assert entries[-1].after["house_edge"] == "1/25"
    restored = await api.patch(
        "/api/v1/games/tg_bowling", headers=operator, json={"house_edge": "0.03"}
    )
    assert restored.status_code == 200


async def test_audit_log_is_admin_only_and_filterable(api, staff):
    admin, finance = await staff("admin"), await staff("finance")
    assert (await api.get("/api/v1/audit/", headers=finance)).status_code == 403
    page = await api.get(
        "/api/v1/audit/", params={"action": "staff_created", "limit": 2}, headers=admin
    )
    assert page.status_code == 200
    body = page.json()
    assert len(body["entries"]) == 2
    assert all(e["action"] == "staff_created" for e in body["entries"])
    older = await api.get(
        "/api/v1/audit/",
        params={"action": "staff_created", "limit": 2, "before_id": body["next_before_id"]},
        headers=admin,
    )
    assert all(e["id"] < body["next_before_id"] for e in older.json()["entries"])


async def test_metrics_and_interactive_docs(api):
    await api.get("/health/live")
    metrics = await api.get("/metrics")
    assert metrics.status_code == 200
    assert 'requests_total{app_name="croupier",method="GET",path="/health/live"' in metrics.text
    docs = await api.get("/schema")
    assert docs.status_code == 200
    assert "<html" in docs.text.lower()
    schema = (await api.get("/schema/openapi.json")).json()
    assert "/api/v1/adjustments/{request_id}/approve" in schema["paths"]
    assert "bearer" in schema["components"]["securitySchemes"]
    # Issue 20: the adjustment's body said nothing of its fields, player_id above all.
    body = schema["components"]["schemas"]["AdjustmentBody"]["properties"]
    assert set(body) == {"player_id", "amount", "currency", "reason", "request_id"}
    assert all(field.get("description") for field in body.values()), body
    assert "player" in body["player_id"]["description"]


def test_admin_create_bootstraps_the_first_account(servers):
    env = {
        "CROUPIER_DATABASE_URL": servers.database_url,
        "CROUPIER_REDIS_URL": servers.redis_url,
        "CROUPIER_ADMIN_PASSWORD": "a long enough password",
    }
    name = f"root-{uuid.uuid4().hex[:6]}"
    created = CliRunner().invoke(main, ["admin", "create", name, "--role", "admin"], env=env)
    assert created.exit_code == 0, created.output
    assert f"{name} created with role admin" in created.output
    twice = CliRunner().invoke(main, ["admin", "create", name], env=env)
    assert twice.exit_code == 1
    assert "taken" in twice.output
    short = CliRunner().invoke(main, ["admin", "create", "x2", "--password", "short"], env=env)
    assert "at least 12" in short.output


async def test_text_the_database_cannot_store_is_a_400_not_a_500(api, staff):
    admin = await staff("admin")
    response = await api.get("/api/v1/audit/", params={"actor": "a\x00b"}, headers=admin)
    assert response.status_code == 400
    assert "cannot store" in response.json()["detail"]
