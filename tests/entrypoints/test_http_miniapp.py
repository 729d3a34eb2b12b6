"""The Mini App player API over HTTP: sessions from Telegram's initData, then the same use
cases the bot calls."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from datetime import datetime
from urllib.parse import urlencode

import pytest
from sqlalchemy import text

from domain.webapp import sign
from entrypoints.composition.endpoints import Endpoints
from entrypoints.settings import Settings
from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

BOT_TOKEN = "424242:MINI-APP-TEST-TOKEN"


@pytest.fixture
async def app_api(servers, tmp_path):
    from litestar.testing import AsyncTestClient

    from entrypoints.composition.containers import make_http_container
    from entrypoints.http.app import create_app

    settings = Settings(
        bot_token=BOT_TOKEN,
        secret_key=secrets.token_hex(32),
        seed_key=secrets.token_bytes(32),
        pii_keys=TEST_PII_KEYS,
        pii_index_key=TEST_PII_INDEX_KEY,
        house_shards=4,
        data_dir=tmp_path,
    )
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    async with AsyncTestClient(app=create_app(make_http_container(settings, endpoints))) as client:
        yield client


def init_data(user_id: int, *, age: int = 10, language: str = "en", token: str = BOT_TOKEN) -> str:
    fields = {
        "query_id": secrets.token_hex(8),
        "user": json.dumps({"id": user_id, "first_name": "Ann", "language_code": language}),
        "auth_date": str(int(time.time()) - age),
    }
    return urlencode({**fields, "hash": sign(fields, token)})


@pytest.fixture
def session(app_api, new_telegram_id, fund_bankroll):
    """A fresh player's bearer headers (past the 18+ gate unless asked otherwise)."""

    async def make(*, accept: bool = True) -> dict[str, str]:
        await fund_bankroll()
        opened = await app_api.post(
            "/api/v1/app/session", json={"init_data": init_data(new_telegram_id())}
        )
        assert opened.status_code == 201, opened.text
        headers = {"Authorization": f"Bearer {opened.json()['token']}"}
        if accept:
            assert (await app_api.post("/api/v1/app/terms", headers=headers)).status_code == 200
        return headers

    return make


async def _credit(app_api, headers, credit, amount: int = 1000) -> int:
    from application.postings import CreditDepositCommand
    from domain.money import XTR, Money

    me = (await app_api.get("/api/v1/app/me", headers=headers)).json()
    await credit(CreditDepositCommand(me["player_id"], Money(amount, XTR), f"app-{uuid.uuid4()}"))
    return me["player_id"]


async def test_a_session_opens_only_for_genuine_fresh_init_data(app_api, new_telegram_id):
    user = new_telegram_id()
    opened = await app_api.post("/api/v1/app/session", json={"init_data": init_data(user)})
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert body["new_player"] is True
    assert body["terms_accepted"] is False
    again = await app_api.post("/api/v1/app/session", json={"init_data": init_data(user)})
    assert again.json()["player_id"] == body["player_id"]
    assert again.json()["new_player"] is False

    for bad in (
        init_data(user).replace("Ann", "Bob"),  # tampered
        init_data(user, age=7200),  # stale
        init_data(user, token="999:OTHER"),  # another bot
        "auth_date=1&user=%7B%7D",  # no hash
        "",
    ):
        refused = await app_api.post("/api/v1/app/session", json={"init_data": bad})
        assert refused.status_code == 401, bad
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "Traceback" not in refused.text
    wrong_shape = await app_api.post("/api/v1/app/session", json={"init": "x"})
    assert wrong_shape.status_code == 400


async def test_accepting_the_terms_answers_when_and_a_repeat_keeps_that_time(app_api, session):
    """Issue 20: it answered `null`; now the acceptance and its time, as gRPC's AcceptTerms."""
    headers = await session(accept=False)
    first = await app_api.post("/api/v1/app/terms", headers=headers)
    again = await app_api.post("/api/v1/app/terms", headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json()["terms_accepted"] is True
    assert first.json()["replayed"] is False
    accepted_at = datetime.fromisoformat(first.json()["terms_accepted_at"])
    assert accepted_at.utcoffset() is not None
    assert again.json() == {**first.json(), "replayed": True}
    assert (await app_api.get("/api/v1/app/me", headers=headers)).json()["terms_accepted"]


async def test_player_routes_need_a_player_session(app_api, session):
    assert (await app_api.get("/api/v1/app/me")).status_code == 401
    forged = {"Authorization": "Bearer " + "x" * 40}
    assert (await app_api.get("/api/v1/app/me", headers=forged)).status_code == 401
    headers = await session()
    me = await app_api.get("/api/v1/app/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["terms_accepted"] is True
    assert me.json()["balances"] == [{"amount": 0, "currency": "XTR"}]


async def test_the_lobby_reads_the_games_on_offer_with_limits_and_parameters(app_api, session):
    """Issue 21: the Mini App's lobby is built from this list, not from games written into
    the page."""
    assert (await app_api.get("/api/v1/app/games")).status_code == 401
    headers = await session(accept=False)  # a read: the lobby shows before the 18+ gate
    found = await app_api.get("/api/v1/app/games", headers=headers)
    assert found.status_code == 200, found.text
    games = {g["code"]: g for g in found.json()["games"]}
    assert {"dice", "coin", "limbo", "roulette"} <= set(games)
    assert not any(code.startswith("tg_") for code in games)
    assert games["dice"]["kind"] == "instant"
    assert games["dice"]["limits"]["XTR"] == {
        "min_stake": 1,
        "max_stake": 10_000,
        "max_payout": 1_000_000,
    }
    assert [p["name"] for p in games["coin"]["params"]] == ["side"]
    assert games["coin"]["params"][0]["choices"] == ["heads", "tails"]


async def test_play_a_provably_fair_game_and_verify_it(app_api, session, credit):
    headers = await session()
    await _credit(app_api, headers, credit)
    commitment = (await app_api.get("/api/v1/app/fairness", headers=headers)).json()
    request_id = str(uuid.uuid4())
    body = {"game": "coin", "stake": 10, "params": {"side": "heads"}, "request_id": request_id}
    played = await app_api.post("/api/v1/app/play", json=body, headers=headers)
    assert played.status_code == 200, played.text
    result = played.json()
    assert result["bet"]["state"] in ("won", "lost")
    assert result["bet"]["server_seed_hash"] == commitment["server_seed_hash"]
    assert result["bet"]["nonce"] == commitment["next_nonce"]
    expected = 1000 - 10 + (result["bet"]["payout"] or 0)
    assert result["balance"] == {"amount": expected, "currency": "XTR"}

    replay = await app_api.post("/api/v1/app/play", json=body, headers=headers)
    assert replay.json()["replayed"] is True
    assert replay.json()["bet"]["id"] == result["bet"]["id"]

    rotated = await app_api.post(
        "/api/v1/app/fairness/rotate", json={"client_seed": "my-seed"}, headers=headers
    )
    revealed = rotated.json()["revealed_server_seed"]
    assert hashlib.sha256(revealed.encode()).hexdigest() == commitment["server_seed_hash"]
    assert rotated.json()["active"]["client_seed"] == "my-seed"

    bets = (await app_api.get("/api/v1/app/bets", headers=headers)).json()
    assert [b["id"] for b in bets["bets"]] == [result["bet"]["id"]]
    history = (await app_api.get("/api/v1/app/history", headers=headers)).json()
    kinds = [m["kind"] for m in history["movements"]]
    # Oldest last: the deposit, then the bet. Placed and settled at once on the snapshot road
    # it is one transaction of net legs, kind win or loss (docs/ledger.md); a bet that pays its
    # stake back moves nothing net and keeps its placement and settlement.
    assert kinds[-1] == "deposit"
    assert kinds[:-1] in (["win"], ["loss"], ["win", "bet"])
    if kinds[:-1] != ["win", "bet"]:
        assert kinds[0] == {"won": "win", "lost": "loss"}[result["bet"]["state"]]


async def test_bad_plays_are_refused_with_problem_details(app_api, session, credit):
    gated = await session(accept=False)
    body = {
        "game": "coin",
        "stake": 10,
        "params": {"side": "heads"},
        "request_id": str(uuid.uuid4()),
    }
    assert (await app_api.post("/api/v1/app/play", json=body, headers=gated)).status_code == 403

    headers = await session()
    await _credit(app_api, headers, credit, 100)
    for game, stake, params, status in (
        ("tg_dice", 10, {"bet": "even"}, 400),  # played in the bot's chat
        ("poker", 10, {}, 409),
        ("coin", 10, {"side": "edge"}, 400),
        ("coin", 10_000, {"side": "heads"}, 409),  # more than the balance or the limits
        ("coin", -5, {"side": "heads"}, 422),
    ):
        refused = await app_api.post(
            "/api/v1/app/play",
            json={"game": game, "stake": stake, "params": params, "request_id": str(uuid.uuid4())},
            headers=headers,
        )
        assert refused.status_code == status, (game, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    me = (await app_api.get("/api/v1/app/balances", headers=headers)).json()
    assert me["balances"] == [{"amount": 100, "currency": "XTR"}]


async def test_play_refuses_a_dice_game_and_a_player_without_the_terms_in_the_use_case(
    app_api, session, credit
):
    headers = await session()
    await _credit(app_api, headers, credit, 100)
    body = {"game": "tg_dice", "stake": 10, "params": {"bet": "even"}}
    dice = await app_api.post(
        "/api/v1/app/play", json={**body, "request_id": str(uuid.uuid4())}, headers=headers
    )
    assert dice.status_code == 400, dice.text
    assert dice.json()["errors"][0]["field"] == "game"
    assert "bot's chat" in dice.json()["detail"]

    gated = await session(accept=False)
    coin = {"game": "coin", "stake": 10, "params": {"side": "heads"}}
    refused = await app_api.post(
        "/api/v1/app/play", json={**coin, "request_id": str(uuid.uuid4())}, headers=gated
    )
    assert refused.status_code == 403
    assert (refused.json()["code"], refused.json()["rule"]) == (
        "terms_not_accepted",
        "terms_not_accepted",
    )
    me = (await app_api.get("/api/v1/app/balances", headers=headers)).json()
    assert me["balances"] == [{"amount": 100, "currency": "XTR"}]


async def test_a_blocked_player_cannot_play_from_a_session_opened_before(
    app_api, session, credit, uow_factory, engine
):
    from domain.players import PlayerStatus

    headers = await session()
    player_id = await _credit(app_api, headers, credit, 100)
    first = {"game": "coin", "stake": 10, "params": {"side": "heads"}}
    first["request_id"] = str(uuid.uuid4())
    played = await app_api.post("/api/v1/app/play", json=first, headers=headers)
    assert played.status_code == 200, played.text
    async with uow_factory() as uow:
        await uow.players.set_status(player_id, PlayerStatus.BLOCKED, "tests")
        await uow.commit()
    async with engine.connect() as conn:
        bets = (
            await conn.execute(
                text("SELECT count(*) FROM bets WHERE player_id = :p"), {"p": player_id}
            )
        ).scalar()

    # The block ends the session already open: every call, a new bet, a repeat of the bet
    # placed before (its first answer is the use case's to keep, at any door that is still
    # open to the player) and a read alike, is refused with the reason.
    for request in (
        app_api.post(
            "/api/v1/app/play", json={**first, "request_id": str(uuid.uuid4())}, headers=headers
        ),
        app_api.post("/api/v1/app/play", json=first, headers=headers),
        app_api.get("/api/v1/app/balances", headers=headers),
    ):
        refused = await request
        assert refused.status_code == 403
        assert (refused.json()["code"], refused.json()["rule"]) == ("player_blocked", "blocked")
    async with engine.connect() as conn:
        assert (
            await conn.execute(
                text("SELECT count(*) FROM bets WHERE player_id = :p"), {"p": player_id}
            )
        ).scalar() == bets


async def test_limits_and_a_time_out_from_the_mini_app(app_api, session, credit):
    headers = await session()
    await _credit(app_api, headers, credit)
    set_limit = await app_api.put(
        "/api/v1/app/limits/wager/24h", json={"amount": 15}, headers=headers
    )
    assert set_limit.json() == {"applied": True, "confirmable_at": None}
    raised = await app_api.put(
        "/api/v1/app/limits/wager/24h", json={"amount": 500}, headers=headers
    )
    assert raised.json()["applied"] is False
    assert raised.json()["confirmable_at"]
    early = await app_api.post("/api/v1/app/limits/wager/24h/confirm", headers=headers)
    assert early.status_code == 409
    bad = await app_api.put("/api/v1/app/limits/luck/24h", json={"amount": 5}, headers=headers)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "kind"

    body = {"game": "coin", "stake": 10, "params": {"side": "heads"}}
    first = await app_api.post(
        "/api/v1/app/play", json={**body, "request_id": str(uuid.uuid4())}, headers=headers
    )
    assert first.status_code == 200
    over = await app_api.post(
        "/api/v1/app/play", json={**body, "request_id": str(uuid.uuid4())}, headers=headers
    )
    assert over.status_code == 409
    assert over.json()["code"] == "responsible_gambling"

    care = (await app_api.get("/api/v1/app/limits", headers=headers)).json()
    assert care["limits"][0]["kind"] == "wager"
    assert care["limits"][0]["pending_amount"] == 500

    timed_out = await app_api.post("/api/v1/app/timeout", json={"period": "7d"}, headers=headers)
    assert timed_out.json()["kind"] == "timeout"
    care = (await app_api.get("/api/v1/app/limits", headers=headers)).json()
    assert care["exclusion"]["kind"] == "timeout"


async def test_blocking_a_player_ends_their_sessions_at_once(
    app_api, new_telegram_id, uow_factory, clock
):
    from application.player_admin import BlockPlayer, UnblockPlayer
    from application.staff import Actor

    user = new_telegram_id()
    opened = await app_api.post("/api/v1/app/session", json={"init_data": init_data(user)})
    headers = {"Authorization": f"Bearer {opened.json()['token']}"}
    player_id = opened.json()["player_id"]
    assert (await app_api.get("/api/v1/app/me", headers=headers)).status_code == 200

    await BlockPlayer(uow_factory, clock)(player_id, "fraud review", Actor("staff:ops"))
    # The token is still signed and unexpired; the standing refuses it on every route.
    for refused in (
        await app_api.get("/api/v1/app/me", headers=headers),
        await app_api.get("/api/v1/app/limits", headers=headers),
        await app_api.post("/api/v1/app/terms", headers=headers),
    ):
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert (problem["code"], problem["rule"]) == ("player_blocked", "blocked")
        assert "blocked" in problem["detail"]
    reopened = await app_api.post("/api/v1/app/session", json={"init_data": init_data(user)})
    assert reopened.status_code == 403
    assert reopened.json()["code"] == "player_blocked"

    # The standing, not the token, decides: lifting the block lets the token in again.
    await UnblockPlayer(uow_factory, clock)(player_id, "cleared", Actor("staff:ops"))
    assert (await app_api.get("/api/v1/app/me", headers=headers)).status_code == 200
