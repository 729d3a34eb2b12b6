"""Players on the admin API: search, profile, block / unblock with a reason, notes."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import text

from application.registration import RegisterPlayerCommand
from domain.money import XTR

pytestmark = pytest.mark.integration

PLAYERS = "/api/v1/players"


async def _audit(engine, action: str, subject: str) -> list:
    async with engine.connect() as conn:
        return list(
            await conn.execute(
                text(
                    "SELECT actor, source, before, after FROM audit_log"
                    " WHERE action = :a AND subject = :s ORDER BY id"
                ),
                {"a": action, "s": subject},
            )
        )


@pytest.fixture
def named_player(register, new_telegram_id):
    async def make(username: str | None = None):
        registration = await register(
            RegisterPlayerCommand(
                new_telegram_id(), username=username, currencies=(XTR,), accept_terms=True
            )
        )
        return registration.player

    return make


def _assert_problem(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    if field is not None:
        assert [e["field"] for e in body["errors"]] == [field]
    return body


async def test_search_by_telegram_id_username_and_status(api, staff, named_player):
    viewer = await staff("viewer")
    support = await staff("support")
    stem = f"Zed{secrets.token_hex(3)}"
    alpha = await named_player(f"{stem}Alpha")
    beta = await named_player(f"{stem}Alpha")  # Telegram reassigns released usernames
    await named_player(f"other{secrets.token_hex(3)}")

    by_tg = await api.get(
        PLAYERS + "/", params={"telegram_id": alpha.telegram_user_id}, headers=viewer
    )
    assert by_tg.status_code == 200, by_tg.text
    assert [p["id"] for p in by_tg.json()["players"]] == [alpha.id]
    assert by_tg.json()["next_cursor"] is None

    # The whole name in any case, a leading '@' allowed; newest first.
    by_name = await api.get(
        PLAYERS + "/", params={"username": f"@{stem.upper()}ALPHA"}, headers=viewer
    )
    assert [p["id"] for p in by_name.json()["players"]] == [beta.id, alpha.id]
    first = by_name.json()["players"][1]
    assert first["username"] == f"{stem}Alpha"
    assert first["telegram_user_id"] == alpha.telegram_user_id
    assert first["status"] == "active"

    # Usernames are sealed at rest: a part of one finds nothing, nor does a wildcard.
    for partial in (stem, f"{stem}%", f"{stem}Alph_"):
        found = await api.get(PLAYERS + "/", params={"username": partial}, headers=viewer)
        assert found.json()["players"] == [], partial

    blocked = await api.post(
        f"{PLAYERS}/{beta.id}/block", json={"reason": "chargebacks"}, headers=support
    )
    assert blocked.status_code == 200, blocked.text
    only_blocked = await api.get(
        PLAYERS + "/", params={"username": f"{stem}alpha", "status": "blocked"}, headers=viewer
    )
    assert [p["id"] for p in only_blocked.json()["players"]] == [beta.id]
    assert only_blocked.json()["players"][0]["status_reason"] == "chargebacks"


async def test_search_pages_across_two_pages(api, staff, named_player):
    viewer = await staff("viewer")
    stem = f"pager{secrets.token_hex(3)}"
    made = [await named_player(stem) for _ in range(3)]
    first = await api.get(PLAYERS + "/", params={"username": stem, "limit": 2}, headers=viewer)
    assert first.status_code == 200
    page1 = first.json()
    assert [p["id"] for p in page1["players"]] == [made[2].id, made[1].id]
    assert page1["next_cursor"]
    second = await api.get(
        PLAYERS + "/",
        params={"username": stem, "limit": 2, "cursor": page1["next_cursor"]},
        headers=viewer,
    )
    page2 = second.json()
    assert [p["id"] for p in page2["players"]] == [made[0].id]
    assert page2["next_cursor"] is None


async def test_profile_has_balances_per_currency_status_and_recent_notes(api, staff, funded_player):
    player = await funded_player(1234)
    support = await staff("support")
    note = await api.post(
        f"{PLAYERS}/{player.id}/notes", json={"body": "VIP, call first"}, headers=support
    )
    assert note.status_code == 201, note.text
    viewer = await staff("viewer")
    response = await api.get(f"{PLAYERS}/{player.id}", headers=viewer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["player"]["id"] == player.id
    assert body["player"]["status"] == "active"
    assert body["player"]["status_reason"] is None
    assert [(b["currency"], b["amount"]) for b in body["balances"]] == [("XTR", 1234)]
    assert [n["body"] for n in body["recent_notes"]] == ["VIP, call first"]
    assert body["recent_notes"][0]["author"].startswith("staff:support-")


async def test_block_and_unblock_are_audited_with_before_and_after(
    api, staff, named_player, engine
):
    name = f"sue-{secrets.token_hex(3)}"
    support = await staff("support", username=name)
    player = await named_player()
    subject = f"player:{player.id}"

    blocked = await api.post(
        f"{PLAYERS}/{player.id}/block",
        json={"reason": "  suspected multi-accounting  "},
        headers=support,
    )
    assert blocked.status_code == 200, blocked.text
    assert blocked.json()["status"] == "blocked"
    assert blocked.json()["status_reason"] == "suspected multi-accounting"
    profile = (await api.get(f"{PLAYERS}/{player.id}", headers=support)).json()
    assert profile["player"]["status"] == "blocked"
    assert profile["player"]["status_reason"] == "suspected multi-accounting"

    entries = await _audit(engine, "player_blocked", subject)
    assert len(entries) == 1
    assert entries[0].actor == f"staff:{name}"
    assert entries[0].source
    assert entries[0].before == {"status": "active", "reason": None}
    assert entries[0].after == {"status": "blocked", "reason": "suspected multi-accounting"}

    # Blocking twice is a conflict (documented on BlockPlayer) and changes nothing.
    again = await api.post(
        f"{PLAYERS}/{player.id}/block", json={"reason": "again"}, headers=support
    )
    _assert_problem(again, 409, "illegal_transition")
    assert len(await _audit(engine, "player_blocked", subject)) == 1
    profile = (await api.get(f"{PLAYERS}/{player.id}", headers=support)).json()
    assert profile["player"]["status_reason"] == "suspected multi-accounting"

    unblocked = await api.post(
        f"{PLAYERS}/{player.id}/unblock", json={"reason": "cleared by review"}, headers=support
    )
    assert unblocked.status_code == 200, unblocked.text
    assert unblocked.json()["status"] == "active"
    entries = await _audit(engine, "player_unblocked", subject)
    assert len(entries) == 1
    assert entries[0].before == {"status": "blocked", "reason": "suspected multi-accounting"}
    assert entries[0].after == {"status": "active", "reason": "cleared by review"}

    not_blocked = await api.post(
        f"{PLAYERS}/{player.id}/unblock", json={"reason": "x"}, headers=support
    )
    _assert_problem(not_blocked, 409, "illegal_transition")


async def test_admins_may_block_too(api, staff, named_player):
    player = await named_player()
    response = await api.post(
        f"{PLAYERS}/{player.id}/block", json={"reason": "fraud"}, headers=await staff("admin")
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("role", ["viewer", "finance", "operator"])
async def test_only_support_changes_players(api, staff, named_player, engine, role):
    headers = await staff(role)
    player = await named_player()
    assert (await api.get(f"{PLAYERS}/{player.id}", headers=headers)).status_code == 200
    for path, body in (
        ("block", {"reason": "no"}),
        ("unblock", {"reason": "no"}),
        ("notes", {"body": "no"}),
    ):
        response = await api.post(f"{PLAYERS}/{player.id}/{path}", json=body, headers=headers)
        _assert_problem(response, 403, "forbidden")
    assert await _audit(engine, "player_blocked", f"player:{player.id}") == []
    assert await _audit(engine, "player_note_added", f"player:{player.id}") == []
    profile = (await api.get(f"{PLAYERS}/{player.id}", headers=headers)).json()
    assert profile["player"]["status"] == "active"
    assert profile["recent_notes"] == []


async def test_without_a_token_every_route_is_401(api, named_player):
    player = await named_player()
    for response in (
        await api.get(PLAYERS + "/"),
        await api.get(f"{PLAYERS}/{player.id}"),
        await api.get(f"{PLAYERS}/{player.id}/notes"),
        await api.post(f"{PLAYERS}/{player.id}/block", json={"reason": "x"}),
        await api.post(f"{PLAYERS}/{player.id}/unblock", json={"reason": "x"}),
        await api.post(f"{PLAYERS}/{player.id}/notes", json={"body": "x"}),
    ):
        _assert_problem(response, 401, "unauthenticated")


async def test_notes_are_listed_newest_first_paged_and_audited(api, staff, named_player, engine):
    name = f"nora-{secrets.token_hex(3)}"
    support = await staff("support", username=name)
    player = await named_player()
    for body in ("first", "second", "third"):
        added = await api.post(f"{PLAYERS}/{player.id}/notes", json={"body": body}, headers=support)
        assert added.status_code == 201, added.text
        assert added.json()["body"] == body
        assert added.json()["author"] == f"staff:{name}"

    viewer = await staff("viewer")
    page1 = (
        await api.get(f"{PLAYERS}/{player.id}/notes", params={"limit": 2}, headers=viewer)
    ).json()
    assert [n["body"] for n in page1["notes"]] == ["third", "second"]
    page2 = (
        await api.get(
            f"{PLAYERS}/{player.id}/notes",
            params={"limit": 2, "cursor": page1["next_cursor"]},
            headers=viewer,
        )
    ).json()
    assert [n["body"] for n in page2["notes"]] == ["first"]
    assert page2["next_cursor"] is None

    entries = await _audit(engine, "player_note_added", f"player:{player.id}")
    assert [e.after["body"] for e in entries] == ["first", "second", "third"]
    assert all(e.actor == f"staff:{name}" for e in entries)


async def test_validation_errors_name_the_field(api, staff, named_player):
    support = await staff("support")
    player = await named_player()
    block = f"{PLAYERS}/{player.id}/block"
    _assert_problem(
        await api.post(block, json={"reason": "   "}, headers=support),
        400,
        "invalid_request",
        "reason",
    )
    _assert_problem(
        await api.post(block, json={"reason": "x" * 501}, headers=support),
        400,
        "invalid_request",
        "reason",
    )
    missing = await api.post(block, json={}, headers=support)
    assert missing.status_code == 400
    assert "reason" in missing.text
    unknown_field = await api.post(block, json={"reason": "x", "extra": 1}, headers=support)
    assert unknown_field.status_code == 400
    _assert_problem(
        await api.post(f"{PLAYERS}/{player.id}/notes", json={"body": ""}, headers=support),
        400,
        "invalid_request",
        "body",
    )
    _assert_problem(
        await api.post(
            f"{PLAYERS}/{player.id}/notes", json={"body": "nul\u0000byte"}, headers=support
        ),
        400,
        "invalid_request",
        "body",
    )
    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"status": "banned"}, "status"),
        ({"telegram_id": -5}, "telegram_id"),
        ({"username": "@"}, "username"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ):
        response = await api.get(PLAYERS + "/", params=params, headers=support)
        _assert_problem(response, 400, "invalid_request", field)
    bad_type = await api.get(PLAYERS + "/", params={"limit": "many"}, headers=support)
    assert bad_type.status_code == 400
    assert "limit" in bad_type.text


async def test_unknown_players_are_404(api, staff):
    support = await staff("support")
    for response in (
        await api.get(f"{PLAYERS}/999999999999", headers=support),
        await api.get(f"{PLAYERS}/999999999999/notes", headers=support),
        await api.post(f"{PLAYERS}/999999999999/block", json={"reason": "x"}, headers=support),
        await api.post(f"{PLAYERS}/999999999999/notes", json={"body": "x"}, headers=support),
        await api.get(f"{PLAYERS}/{2**70}", headers=support),
    ):
        _assert_problem(response, 404, "not_found")
