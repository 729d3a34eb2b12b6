"""Free bets over HTTP (docs/api-http.md, docs/bonuses.md "Free bets"): staff create a
`free_bet` campaign (the four-eyes rule as any campaign) and grant it to a list, its page
counts what its free bets did; a player redeems its code in the Mini App, lists their free
bets, plays one (a repeat answers the first play), and every refusal is problem details."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from tests.campaign_cleanup import end_campaigns
from tests.entrypoints.test_http_miniapp import app_api, init_data, session  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


def _body(**more: object) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "code": f"Spins-{secrets.token_hex(5)}",
        "kind": "free_bet",
        "currency": "XTR",
        "amount": 200,  # one free bet's largest win
        "budget": 5_000,
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=7)).isoformat(),
        "wagering_multiple": 10,
        "expires_after_hours": 72,
        "free_bet": {
            "game": "plinko",
            "params": {"rows": "8", "risk": "low"},
            "stake": 10,
            "count": 3,
            "expires_after_hours": 24,
        },
        **more,
    }


@pytest.fixture
async def ended(uow_factory, clock):
    codes: list[str] = []
    yield codes
    await end_campaigns(uow_factory, clock, codes)


async def test_staff_create_a_free_bet_campaign_and_grant_it_to_a_list(
    api, staff, new_player, ended
):
    alice = await staff("operator")
    created = await api.post("/api/v1/campaigns/", json=_body(), headers=alice)
    assert created.status_code == 201, created.text
    campaign = created.json()
    ended.append(campaign["code"])
    assert campaign["kind"] == "free_bet"
    assert campaign["free_bet"] == {
        "game": "plinko",
        "params": {"rows": "8", "risk": "low"},
        "stake": 10,
        "count": 3,
        "expires_after_hours": 24.0,
    }
    ann, unconfirmed = await new_player(), await new_player(accept_terms=False)
    granted = await api.post(
        f"/api/v1/campaigns/{campaign['code']}/grants",
        json={"players": [ann.id, unconfirmed.id]},
        headers=alice,
    )
    assert granted.status_code == 200, granted.text
    assert [g["player_id"] for g in granted.json()["granted"]] == [ann.id]
    assert granted.json()["skipped"] == [unconfirmed.id]
    page = (await api.get(f"/api/v1/campaigns/{campaign['code']}", headers=alice)).json()
    assert page["free_bets"] == {"granted": 3, "played": 0, "won": 0, "expired": 0, "winnings": 0}
    assert page["budget_spent"] == 0  # a grant of free bets moves no money
    # The four-eyes rule counts a free-bet campaign's budget as any campaign's.
    large = await api.post("/api/v1/campaigns/", json=_body(budget=2_000_000), headers=alice)
    assert large.json()["state"] == "awaiting_approval", large.text
    ended.append(large.json()["code"])


@pytest.mark.parametrize(
    ("free_bet", "field"),
    [
        ({"game": "mines", "params": {"mines": "3"}}, "free_bet.game"),
        ({"game": "tg_dice", "params": {}}, "free_bet.game"),
        ({"params": {"rows": "99", "risk": "low"}}, "free_bet.params"),
        ({"count": 0}, "free_bet.count"),
        ({"stake": 0}, "free_bet.stake"),
        ({"expires_after_hours": 0}, "free_bet.expires_after_hours"),
    ],
)
async def test_a_bad_free_bet_is_problem_details(api, staff, free_bet, field):
    alice = await staff("operator")
    body = _body()
    body["free_bet"] = {**body["free_bet"], **free_bet}  # type: ignore[dict-item]
    answer = await api.post("/api/v1/campaigns/", json=body, headers=alice)
    assert answer.status_code in (400, 422), answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["errors"][0]["field"] == field, answer.text
    missing = await api.post("/api/v1/campaigns/", json=_body(free_bet=None), headers=alice)
    assert missing.status_code in (400, 422), missing.text


async def test_a_player_redeems_lists_and_plays_free_bets_in_the_mini_app(
    api,
    staff,
    app_api,  # noqa: F811
    session,  # noqa: F811
    ended,
):
    alice = await staff("operator")
    created = await api.post("/api/v1/campaigns/", json=_body(), headers=alice)
    code = created.json()["code"]
    ended.append(code)
    headers = await session()
    redeemed = await app_api.post("/api/v1/app/promo", json={"code": code}, headers=headers)
    assert redeemed.status_code == 200, redeemed.text
    assert redeemed.json()["free_bets"] == 3
    listed = await app_api.get("/api/v1/app/bonus/free-bets", headers=headers)
    assert listed.status_code == 200, listed.text
    assert listed.json()["shown"] is True
    playable = listed.json()["playable"]
    assert len(playable) == 3
    assert playable[0]["stake"] == {"amount": 10, "currency": "XTR"}
    free_bet = playable[0]["free_bet_id"]
    played = await app_api.post(f"/api/v1/app/bonus/free-bets/{free_bet}/play", headers=headers)
    assert played.status_code == 200, played.text
    result = played.json()
    assert result["replayed"] is False
    assert result["proof"]["nonce"] == 0
    assert result["winnings"]["amount"] == max(0, result["payout"]["amount"] - 10)
    assert (result["bonus_id"] is None) == (result["winnings"]["amount"] == 0)
    again = await app_api.post(f"/api/v1/app/bonus/free-bets/{free_bet}/play", headers=headers)
    assert again.json() == {**result, "replayed": True}
    history = (await app_api.get("/api/v1/app/bonus/free-bets", headers=headers)).json()
    assert len(history["playable"]) == 2
    assert [p["free_bet_id"] for p in history["played"]] == [free_bet]
    assert history["played"][0]["played"]["proof"] == result["proof"]  # to verify it later
    unknown = await app_api.post(
        "/api/v1/app/bonus/free-bets/00000000-0000-0000-0000-000000000000/play", headers=headers
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found"), unknown.text
    if result["bonus_id"] is not None:  # one active bonus: the next free bet waits
        second = playable[1]["free_bet_id"]
        refused = await app_api.post(f"/api/v1/app/bonus/free-bets/{second}/play", headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (422, "bonus_active"), refused.text


async def test_winnings_are_grants_of_their_campaign_in_the_budget_report(
    api,
    staff,
    app_api,  # noqa: F811
    session,  # noqa: F811
    ended,
):
    alice = await staff("operator")
    coin = {"game": "coin", "params": {"side": "heads"}, "stake": 10, "count": 20,
            "expires_after_hours": 24}  # fmt: skip
    created = await api.post("/api/v1/campaigns/", json=_body(free_bet=coin), headers=alice)
    code = created.json()["code"]
    ended.append(code)
    headers = await session()
    await app_api.post("/api/v1/app/promo", json={"code": code}, headers=headers)
    listed = (await app_api.get("/api/v1/app/bonus/free-bets", headers=headers)).json()
    won = 0
    for free_bet in listed["playable"]:  # a coin wins about every other time: 20 tries
        played = await app_api.post(
            f"/api/v1/app/bonus/free-bets/{free_bet['free_bet_id']}/play", headers=headers
        )
        won = played.json()["winnings"]["amount"]
        if won:
            break
    assert won == 9  # 1.98 x 10 = 19, less the house's 10
    today = datetime.now(UTC).date()
    params = {"from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    report = await api.get("/api/v1/reports/budgets", params=params, headers=alice)
    assert report.status_code == 200, report.text
    row = next(r for r in report.json()["rows"] if r["budget"] == code)
    assert row["granted"] == won
    page = (await api.get(f"/api/v1/campaigns/{code}", headers=alice)).json()
    assert page["free_bets"]["won"] == 1
    assert page["budget_spent"] == won
