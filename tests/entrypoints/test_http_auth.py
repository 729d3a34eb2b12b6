"""Staff authentication and authorisation on the admin API."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import redis.asyncio as aioredis

pytestmark = pytest.mark.integration


async def test_login_me_and_bearer_token(api, staff):
    headers = await staff("support", username=f"sue-{secrets.token_hex(3)}")
    me = await api.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["role"] == "support"


async def test_wrong_credentials_are_401_problem_details(api, staff, servers):
    await staff("viewer", username="vic-wrong")
    response = await api.post(
        "/api/v1/auth/login", json={"username": "vic-wrong", "password": "not the password"}
    )
    assert response.status_code == 401
    body = response.json()
    assert body["type"] == "urn:croupier:problem:unauthenticated"
    assert response.headers["content-type"].startswith("application/problem+json")
    unknown = await api.post(
        "/api/v1/auth/login", json={"username": "nobody-here", "password": "whatever-else"}
    )
    assert unknown.json()["detail"] == body["detail"]  # no hint which part was wrong
    await _forget_failures(servers.redis_url)


async def test_requests_without_or_with_bad_tokens_are_refused(api):
    assert (await api.get("/api/v1/auth/me")).status_code == 401
    bad = await api.get("/api/v1/auth/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert bad.status_code == 401
    forged = await api.get("/api/v1/auth/me", headers={"x-api-key": "crs_000000000000_" + "a" * 40})
    assert forged.status_code == 401


async def test_failed_logins_are_rate_limited_and_audited(api, staff, servers):
    name = f"target-{secrets.token_hex(3)}"
    await staff("viewer", username=name)
    codes = []
    for _ in range(6):
        response = await api.post(
            "/api/v1/auth/login", json={"username": name, "password": "guessing-wrong"}
        )
        codes.append(response.status_code)
    assert codes == [401] * 5 + [429]
    blocked = await api.post(
        "/api/v1/auth/login", json={"username": name, "password": "correct horse battery staple"}
    )
    assert blocked.status_code == 429  # even the right password waits out the window
    admin = await staff("admin")
    audit = (
        await api.get(
            "/api/v1/audit",
            params={"action": "login_failed", "subject": f"staff:{name}"},
            headers=admin,
        )
    ).json()
    assert len(audit["entries"]) == 7
    await _forget_failures(servers.redis_url)


async def test_totp_second_factor(api, staff, servers):
    name = f"otp-{secrets.token_hex(3)}"
    headers = await staff("finance", username=name)
    password = "correct horse battery staple"
    refused = await api.post("/api/v1/auth/totp", json={"password": "wrong"}, headers=headers)
    assert refused.status_code == 401
    enrolled = await api.post("/api/v1/auth/totp", json={"password": password}, headers=headers)
    assert enrolled.status_code == 201
    secret = enrolled.json()["secret"]
    totp = pyotp.TOTP(secret)
    pending = await api.post("/api/v1/auth/login", json={"username": name, "password": password})
    assert pending.status_code == 200  # not confirmed yet: no code asked
    confirmed = await api.post(
        "/api/v1/auth/totp/confirm", json={"totp_code": totp.now()}, headers=headers
    )
    assert confirmed.status_code == 200
    assert confirmed.json()["totp_enabled"]
    without = await api.post("/api/v1/auth/login", json={"username": name, "password": password})
    assert without.status_code == 401
    next_code = totp.at(time.time() + 30)  # the confirming step is used; the next is fresh
    login = {"username": name, "password": password, "totp_code": next_code}
    assert (await api.post("/api/v1/auth/login", json=login)).status_code == 200
    replayed = await api.post("/api/v1/auth/login", json=login)
    assert replayed.status_code == 401  # the same code twice inside its window
    swapped = await api.post("/api/v1/auth/totp", json={"password": password}, headers=headers)
    assert swapped.status_code == 401  # re-enrolment needs the current code
    await _forget_failures(servers.redis_url)


async def test_staff_keys_are_listed_expire_and_are_revoked(api, staff):
    headers = await staff("operator")
    expires = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    issued = await api.post(
        "/api/v1/auth/keys", json={"label": "ci", "expires_at": expires}, headers=headers
    )
    assert issued.status_code == 201
    key = issued.json()
    listed = (await api.get("/api/v1/auth/keys", headers=headers)).json()
    assert [k["key_id"] for k in listed] == [key["key_id"]]
    assert listed[0]["expires_at"] is not None
    assert "api_key" not in listed[0]
    past = await api.post(
        "/api/v1/auth/keys",
        json={"label": "ci", "expires_at": "2020-01-01T00:00:00Z"},
        headers=headers,
    )
    assert past.status_code == 400
    gone = await api.delete(f"/api/v1/auth/keys/{key['key_id']}", headers=headers)
    assert gone.status_code == 204
    me = await api.get("/api/v1/auth/me", headers={"x-api-key": key["api_key"]})
    assert me.status_code == 401
    unknown = await api.delete("/api/v1/auth/keys/000000000000", headers=headers)
    assert unknown.status_code == 404


async def test_a_password_change_ends_sessions_and_keys(api, staff, servers):
    name = f"pw-{secrets.token_hex(3)}"
    headers = await staff("viewer", username=name)
    key = (await api.post("/api/v1/auth/keys", json={"label": "k"}, headers=headers)).json()
    changed = await api.post(
        "/api/v1/auth/password",
        json={
            "current_password": "correct horse battery staple",
            "new_password": "an even better passphrase",
        },
        headers=headers,
    )
    assert changed.status_code == 200
    assert (await api.get("/api/v1/auth/me", headers=headers)).status_code == 401
    keyed = await api.get("/api/v1/auth/me", headers={"x-api-key": key["api_key"]})
    assert keyed.status_code == 401
    login = {"username": name, "password": "an even better passphrase"}
    assert (await api.post("/api/v1/auth/login", json=login)).status_code == 200
    await _forget_failures(servers.redis_url)


async def test_disabling_and_re_enabling_never_revives_old_tokens(api, staff):
    name = f"dis-{secrets.token_hex(3)}"
    headers = await staff("support", username=name)
    key = (await api.post("/api/v1/auth/keys", json={"label": "k"}, headers=headers)).json()
    admin = await staff("admin")
    assert (await api.post(f"/api/v1/staff/{name}/disable", headers=headers)).status_code == 403
    disabled = await api.post(f"/api/v1/staff/{name}/disable", headers=admin)
    assert disabled.status_code == 200
    assert (await api.get("/api/v1/auth/me", headers=headers)).status_code == 401
    assert (await api.post(f"/api/v1/staff/{name}/enable", headers=admin)).status_code == 200
    assert (await api.get("/api/v1/auth/me", headers=headers)).status_code == 401
    keyed = await api.get("/api/v1/auth/me", headers={"x-api-key": key["api_key"]})
    assert keyed.status_code == 401
    unknown = await api.post("/api/v1/staff/nobody-at-all/disable", headers=admin)
    assert unknown.status_code == 404


async def test_staff_api_keys_act_as_their_owner(api, staff):
    headers = await staff("operator")
    issued = await api.post("/api/v1/auth/keys", json={"label": "deploy bot"}, headers=headers)
    assert issued.status_code == 201
    key = issued.json()["api_key"]
    me = await api.get("/api/v1/auth/me", headers={"x-api-key": key})
    assert me.json()["role"] == "operator"


async def test_unknown_fields_and_missing_fields_name_the_field(api):
    response = await api.post("/api/v1/auth/login", json={"username": "x"})
    assert response.status_code == 400
    assert "password" in response.text


async def _forget_failures(redis_url: str) -> None:
    """Failed-login counters are shared by the whole suite (one client address)."""
    client = aioredis.Redis.from_url(redis_url)
    async for key in client.scan_iter("croupier:login-fail:*"):
        await client.delete(key)
    await client.aclose()


async def test_the_login_hashes_its_dummy_once_per_process(http_container):
    """Login keeps the hash an unknown name is verified against; made per request, every
    login would hash it again and cost twice a verification."""
    from application.staff import Login

    async with http_container() as first, http_container() as second:
        assert await first.get(Login) is await second.get(Login)
