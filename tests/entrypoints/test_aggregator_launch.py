"""The game launch flow and the catalogue through the real Litestar app, against a local
Hub88-style operator API that checks Croupier's signature on every request
(tests/fake_aggregator_operator_server.py): staff refresh the catalogue (new games come in
off; a game gone from the list, or switched off by the aggregator, is not launchable) and
switch games on and off (operator role, audited); a player launches an enabled game from the
Mini App and gets the aggregator's URL, whose session token the wallet reads back as this
player's, currency's and game's (and takes the game's signed user info and bet with, for that
game only); a launch is refused for a blocked, timed-out or
self-excluded player, a game switched off or unknown, asking the aggregator nothing; the
aggregator slow, failing,
answering garbage, refusing our signature or down is a polite 503 problem, never a 500."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from application.aggregators import ReadGameSession
from application.player_admin import BlockPlayer
from application.ports import GameSessionConfig
from application.postings import CreditDepositCommand
from application.staff import Actor
from domain.game_sessions import aggregator_user
from domain.money import XTR, CurrencyRegistry, Money
from entrypoints.composition.containers import make_http_container
from entrypoints.composition.endpoints import Endpoints
from entrypoints.http.app import create_app
from tests.entrypoints.aggregator_doors import HttpDoor, KeyPair, Said
from tests.entrypoints.door_cases import init_data
from tests.entrypoints.fast_hashing import FastPasswordHashing
from tests.fake_aggregator_operator_server import FakeAggregatorOperatorServer

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

BOT_TOKEN = "424243:AGGREGATOR-LAUNCH-TOKEN"
SESSION_KEY = secrets.token_bytes(32)
OURS = KeyPair.new()  # Croupier's signing key (the wallet's answers and these requests)
THEIRS = KeyPair.new()  # the aggregator's, for its calls to the wallet
PROBLEM = "application/problem+json"


@pytest.fixture
def name() -> str:
    return f"hub-{secrets.token_hex(4)}"


@pytest.fixture
async def aggregator():
    server = await FakeAggregatorOperatorServer(OURS.private.public_key()).start()
    server.game("slot-a", "Alpha Slot")
    server.game("live-b", "Blackjack Live", category="Live Casino", product="Fake Live")
    server.game("slot-c", "Closed Slot", enabled=False)
    yield server
    await server.close()


@pytest.fixture
async def door(servers, http_settings, aggregator, name, tmp_path):
    settings = dataclasses.replace(
        http_settings,
        bot_token=BOT_TOKEN,
        aggregator_signing_key=str(OURS.write_private(tmp_path / "croupier.pem")),
        aggregator_keys=f"{name}={THEIRS.write_public(tmp_path / 'aggregator.pem')}",
        game_session_key=SESSION_KEY.hex(),
        aggregator_api_urls=f"{name}={aggregator.url}",
        aggregator_operator_ids=f"{name}={aggregator.operator_id}",
        aggregator_api_timeout_s=1.0,
        aggregator_games_cache_s=0,  # every list read from PostgreSQL (the cache: on fakes)
        aggregator_lobby_url="https://t.me/croupier_bot/app",
    )
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    app = create_app(make_http_container(settings, endpoints, FastPasswordHashing()))
    async with AsyncTestClient(app=app) as client:
        yield client


@pytest.fixture
def player(door, new_telegram_id, fund_bankroll):
    """A new player's Mini App bearer headers and id, past the 18+ gate."""

    async def make() -> tuple[dict[str, str], int]:
        await fund_bankroll()
        opened = await door.post(
            "/api/v1/app/session", json={"init_data": init_data(new_telegram_id(), BOT_TOKEN)}
        )
        assert opened.status_code == 201, opened.text
        headers = {"Authorization": f"Bearer {opened.json()['token']}"}
        assert (await door.post("/api/v1/app/terms", headers=headers)).status_code == 200
        return headers, opened.json()["player_id"]

    return make


async def _refresh(door, staff, name: str) -> dict:
    refreshed = await door.post(
        f"/api/v1/aggregator-games/{name}/refresh", headers=await staff("operator")
    )
    assert refreshed.status_code == 200, refreshed.text
    return refreshed.json()


async def _switch(door, staff, name: str, code: str, enabled: bool = True):
    return await door.patch(
        f"/api/v1/aggregator-games/{name}/{code}",
        json={"enabled": enabled},
        headers=await staff("operator"),
    )


async def _launch(door, headers, name: str, code: str, **body):
    return await door.post(
        f"/api/v1/app/aggregator-games/{name}/{code}/launch",
        json={"currency": "XTR", **body},
        headers=headers,
    )


async def _catalogue(door, staff, name: str) -> dict[str, dict]:
    found = await door.get(
        "/api/v1/aggregator-games", params={"aggregator": name}, headers=await staff("support")
    )
    assert found.status_code == 200, found.text
    return {g["game_code"]: g for g in found.json()["games"]}


async def test_a_refresh_upserts_the_list_and_unlists_a_game_gone(door, staff, aggregator, name):
    aggregator.game("x" * 101, "A code too long to keep")  # skipped; the rest is kept
    assert await _refresh(door, staff, name) == {
        "aggregator": name,
        "listed": 3,
        "added": 3,
        "delisted": 0,
    }
    games = await _catalogue(door, staff, name)
    assert sorted(games) == ["live-b", "slot-a", "slot-c"]
    assert not any(g["operator_enabled"] or g["launchable"] for g in games.values())
    assert games["live-b"]["category"] == "Live Casino"
    assert games["slot-c"]["provider_enabled"] is False
    assert (await _switch(door, staff, name, "slot-a")).json()["launchable"] is True
    # The aggregator drops live-b, renames slot-a and turns slot-c on.
    aggregator.games[:] = [g for g in aggregator.games if g["game_code"] != "live-b"]
    aggregator.games[0]["name"] = "Alpha Slot Deluxe"
    aggregator.games[1]["enabled"] = True
    assert await _refresh(door, staff, name) == {
        "aggregator": name,
        "listed": 2,
        "added": 0,
        "delisted": 1,
    }
    games = await _catalogue(door, staff, name)
    assert games["slot-a"]["name"] == "Alpha Slot Deluxe"
    assert games["slot-a"]["operator_enabled"] is True  # the operator's switch kept
    assert games["live-b"]["listed"] is False
    assert games["slot-c"]["provider_enabled"] is True
    assert games["slot-c"]["launchable"] is False  # still off for the operator
    assert aggregator.refused == 0  # every request carried our signature


async def test_staff_switch_games_with_the_operator_role_and_it_is_audited(
    door, staff, aggregator, name, engine
):
    await _refresh(door, staff, name)
    refused = await door.patch(
        f"/api/v1/aggregator-games/{name}/live-b",
        json={"enabled": True},
        headers=await staff("support"),
    )
    assert refused.status_code == 403, refused.text
    anonymous = await door.patch(f"/api/v1/aggregator-games/{name}/live-b", json={"enabled": True})
    assert anonymous.status_code == 401
    assert (await door.post(f"/api/v1/aggregator-games/{name}/refresh")).status_code == 401
    on = await _switch(door, staff, name, "live-b")
    assert on.status_code == 200, on.text
    assert (on.json()["operator_enabled"], on.json()["launchable"]) == (True, True)
    off = await _switch(door, staff, name, "live-b", False)
    assert off.json()["launchable"] is False
    missing = await _switch(door, staff, name, "no-such-game")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith(PROBLEM)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT actor, before, after FROM audit_log"
                    " WHERE action = 'aggregator_game_changed' AND subject = :s ORDER BY id"
                ),
                {"s": f"aggregator_game:{name}/live-b"},
            )
        ).all()
    assert [(r.before["operator_enabled"], r.after["operator_enabled"]) for r in rows] == [
        (False, True),
        (True, False),
    ]
    assert all(r.actor.startswith("staff:operator-") for r in rows)


async def test_a_player_launches_an_enabled_game_with_a_session_the_wallet_reads(
    door, staff, aggregator, name, player, uow_factory, clock, issue_key, credit
):
    await _refresh(door, staff, name)
    await _switch(door, staff, name, "live-b")
    headers, player_id = await player()
    listed = await door.get("/api/v1/app/aggregator-games", headers=headers)
    assert listed.status_code == 200, listed.text
    assert listed.json()["games"] == [
        {
            "aggregator": name,
            "game_code": "live-b",
            "name": "Blackjack Live",
            "category": "Live Casino",
            "product": "Fake Live",
        }
    ]
    launched = await _launch(door, headers, name, "live-b", platform="desktop")
    assert launched.status_code == 200, launched.text
    (asked,) = aggregator.asked
    assert launched.json() == {
        "aggregator": name,
        "game_code": "live-b",
        "currency": "XTR",
        "url": f"https://games.example/launch/live-b?t={asked['token']}",
    }
    assert (asked["user"], asked["currency"], asked["game_code"]) == (
        aggregator_user(player_id),
        "XTR",
        "live-b",
    )
    assert (asked["platform"], asked["lang"], asked["operator_id"]) == ("GPL_DESKTOP", "ru", 4242)
    assert asked["lobby_url"] == "https://t.me/croupier_bot/app"
    # (the player's language: door_cases.init_data opens Russian players)
    # The token is a session the wallet accepts for this player, currency and game.
    read = ReadGameSession(
        uow_factory, clock, GameSessionConfig(SESSION_KEY, timedelta(hours=4)), CurrencyRegistry()
    )
    view = await read(asked["token"], name, player_id, "XTR", "live-b", with_standing=True)
    assert view.session.game_id == "live-b"
    assert aggregator.refused == 0
    # And the aggregator's game, carrying it, plays through the wallet: user info, a bet.
    await issue_key("seamless", name=name)
    await credit(CreditDepositCommand(player_id, Money(100, XTR), f"launch-{secrets.token_hex(6)}"))
    game = HttpDoor(door, name, THEIRS, OURS, str(player_id), asked["token"])
    assert (await game.info()).status == "RS_OK"
    bet = await game.bet(secrets.token_hex(8), secrets.token_hex(8), 5, game_code="live-b")
    assert bet == Said("RS_OK", 95)
    other_game = await game.bet(secrets.token_hex(8), secrets.token_hex(8), 5, game_code="slot-a")
    assert other_game.status == "RS_ERROR_INVALID_TOKEN"  # the session is for live-b only


async def test_a_launch_is_refused_as_a_bet_is_and_for_a_game_off_or_unknown(
    door, staff, aggregator, name, player, http_container
):
    await _refresh(door, staff, name)
    await _switch(door, staff, name, "slot-a")
    await _switch(door, staff, name, "slot-c")  # on for the operator, off at the aggregator
    headers, player_id = await player()
    for code in ("live-b", "slot-c", "no-such-game"):
        refused = await _launch(door, headers, name, code)
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert (refused.json()["code"], refused.json()["reason"]) == (
            "game_unavailable",
            "game_unavailable",
        )
    unknown = await _launch(door, headers, "not-configured", "slot-a")
    assert unknown.status_code == 409
    bad_currency = await _launch(door, headers, name, "slot-a", currency="DOGE")
    assert bad_currency.status_code == 422, bad_currency.text
    # Self-excluded: the standing's own refusal, as a bet's.
    excluded_headers, _ = await player()
    excluded = await door.post(
        "/api/v1/app/self-exclusion", json={"period": "6m"}, headers=excluded_headers
    )
    assert excluded.status_code in {200, 201}, excluded.text
    refused = await _launch(door, excluded_headers, name, "slot-a")
    assert refused.status_code == 409, refused.text
    assert refused.json()["reason"] == "responsible_gambling.self_excluded"
    timed_out_headers, _ = await player()
    timed_out = await door.post(
        "/api/v1/app/timeout", json={"period": "24h"}, headers=timed_out_headers
    )
    assert timed_out.status_code in {200, 201}, timed_out.text
    refused = await _launch(door, timed_out_headers, name, "slot-a")
    assert refused.status_code == 409, refused.text
    assert refused.json()["reason"] == "responsible_gambling.timeout"
    # Blocked: the block ends the player's sessions (401), and a new one is refused (403).
    async with http_container() as scope:
        await (await scope.get(BlockPlayer))(player_id, "launch test", Actor("staff:tests"))
    refused = await _launch(door, headers, name, "slot-a")
    assert refused.status_code in {401, 403}, refused.text
    assert refused.json()["code"] in {"unauthenticated", "player_blocked"}
    assert aggregator.asked == []  # the aggregator was asked nothing


async def test_a_list_of_thousands_of_games_is_read_whole(door, staff, aggregator, name):
    """A real list is megabytes long: it arrives in many chunks, all of them read."""
    for i in range(3000):
        aggregator.game(f"bulk-{i:04d}", f"Bulk Game {i} " + "x" * 150)
    refreshed = await _refresh(door, staff, name)
    assert (refreshed["listed"], refreshed["added"]) == (3003, 3003)


@pytest.mark.parametrize("mode", ["slow", "error500", "garbage", "unsigned", "down"])
async def test_the_aggregator_failing_is_a_polite_503(door, staff, aggregator, name, player, mode):
    await _refresh(door, staff, name)
    await _switch(door, staff, name, "slot-a")
    headers, _ = await player()
    if mode == "down":
        await aggregator.stop()
    elif mode == "unsigned":  # the aggregator does not know our key: it refuses every call
        aggregator.croupier_key = KeyPair.new().private.public_key()
    else:
        aggregator.mode = mode
    refused = await _launch(door, headers, name, "slot-a")
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"].startswith(PROBLEM)
    body = refused.json()
    assert (body["code"], body["reason"]) == ("aggregator_unavailable", "aggregator_unavailable")
    assert "Traceback" not in refused.text
    # A refresh with the aggregator failing changes nothing and says so.
    again = await door.post(
        f"/api/v1/aggregator-games/{name}/refresh", headers=await staff("operator")
    )
    assert again.status_code == 503, again.text
    still = await door.get("/api/v1/app/aggregator-games", headers=headers)
    assert [g["game_code"] for g in still.json()["games"]] == ["slot-a"]
