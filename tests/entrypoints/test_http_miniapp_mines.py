"""The Mini App's mines routes over HTTP, exactly as the contract the screen is built against
says (src/entrypoints/http/miniapp_mines.py, docs/miniapp.md)."""

from __future__ import annotations

import uuid

import pytest

from tests.entrypoints.mines_cap import (
    CAP_PAYOUT,
    CAP_TILES,
    CAPPED_MINES,
    CAPPED_STAKE,
    footprint,
    positions,
    safe_tiles,
)
from tests.entrypoints.test_http_miniapp import _credit, app_api, session  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

VIEW_KEYS = {
    "id",
    "state",
    "stake",
    "mines",
    "revealed",
    "multiplier",
    "next_multiplier",
    "payout",
    "mine_positions",
    "balance",
    "max_payout",
}


async def _open(app_api, headers, **body):  # noqa: F811
    payload = {"stake": 10, "mines": 1, "request_id": str(uuid.uuid4()), **body}
    return await app_api.post("/api/v1/app/mines", json=payload, headers=headers)


async def test_a_game_through_the_mini_app(app_api, session, credit):  # noqa: F811
    headers = await session()
    await _credit(app_api, headers, credit, 100)
    request_id = str(uuid.uuid4())
    opened = await _open(app_api, headers, request_id=request_id)
    assert opened.status_code == 200, opened.text
    game = opened.json()
    assert set(game) == VIEW_KEYS
    assert game["id"] == request_id
    assert game["state"] == "open"
    assert game["stake"] == {"amount": 10, "currency": "XTR"}
    assert game["revealed"] == []
    assert game["multiplier"] == "1"
    assert game["next_multiplier"] == "1.0312"
    assert game["payout"] is None
    assert game["mine_positions"] is None
    assert game["balance"] == {"amount": 90, "currency": "XTR"}
    again = await _open(app_api, headers, request_id=request_id)
    assert again.json() == game
    current = await app_api.get("/api/v1/app/mines?currency=XTR", headers=headers)
    assert current.json() == game
    step = await app_api.post(
        f"/api/v1/app/mines/{request_id}/reveal",
        json={"tile": 12, "request_id": str(uuid.uuid4())},
        headers=headers,
    )
    assert step.status_code == 200, step.text
    shown = step.json()
    assert shown["revealed"] == [12]
    if shown["state"] == "busted":  # 1 in 25: the mine was on tile 12
        assert shown["mine_positions"] == [12]
        assert shown["payout"] == 0
        return
    assert shown["multiplier"] == "1.0312"
    pressed_again = await app_api.post(
        f"/api/v1/app/mines/{request_id}/reveal",
        json={"tile": 12, "request_id": str(uuid.uuid4())},
        headers=headers,
    )
    assert pressed_again.json() == shown
    out = await app_api.post(
        f"/api/v1/app/mines/{request_id}/cashout",
        json={"request_id": str(uuid.uuid4())},
        headers=headers,
    )
    assert out.status_code == 200, out.text
    done = out.json()
    assert done["state"] == "cashed_out"
    assert done["payout"] == 10
    assert done["next_multiplier"] is None
    assert len(done["mine_positions"]) == 1
    assert done["balance"] == {"amount": 100, "currency": "XTR"}
    gone = await app_api.get("/api/v1/app/mines", headers=headers)
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("application/problem+json")


async def test_bad_mines_requests_are_problems(app_api, session, credit):  # noqa: F811
    gated = await session(accept=False)
    assert (await _open(app_api, gated)).status_code == 403
    headers = await session()
    await _credit(app_api, headers, credit, 100)
    for body, status in (
        ({"mines": 0}, 400),
        ({"mines": 25}, 400),
        ({"stake": -5}, 422),
        ({"currency": "NOPE"}, 400),
        ({"stake": 1000}, 409),  # more than the balance
        ({"color": "red"}, 400),
    ):
        refused = await _open(app_api, headers, **body)
        assert refused.status_code == status, (body, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    game = (await _open(app_api, headers)).json()
    second = await _open(app_api, headers)
    assert second.status_code == 409
    assert "open mines game" in second.json()["detail"]
    early = await app_api.post(
        f"/api/v1/app/mines/{game['id']}/cashout",
        json={"request_id": str(uuid.uuid4())},
        headers=headers,
    )
    assert early.status_code == 409
    off = await app_api.post(
        f"/api/v1/app/mines/{game['id']}/reveal",
        json={"tile": 25, "request_id": str(uuid.uuid4())},
        headers=headers,
    )
    assert off.status_code == 400
    assert "0-24" in off.json()["detail"]
    other = await session()
    stranger = await app_api.post(
        f"/api/v1/app/mines/{game['id']}/reveal",
        json={"tile": 3, "request_id": str(uuid.uuid4())},
        headers=other,
    )
    assert stranger.status_code == 404
    me = (await app_api.get("/api/v1/app/balances", headers=headers)).json()
    assert me["balances"] == [{"amount": 90, "currency": "XTR"}]


async def test_a_game_plays_to_its_payout_limit_and_the_tile_beyond_is_409(
    app_api,  # noqa: F811
    session,  # noqa: F811
    credit,
    fund_bankroll,
    engine,
):
    """12 mines for 1 Star opens at the default limit; at the limit the game stays open with
    next_multiplier null, and the tile beyond is a 409 problem that writes nothing."""
    await fund_bankroll()
    headers = await session()
    await _credit(app_api, headers, credit, 100)
    opened = await _open(app_api, headers, stake=CAPPED_STAKE, mines=CAPPED_MINES)
    assert opened.status_code == 200, opened.text
    game = opened.json()
    assert game["max_payout"] == {"amount": CAP_PAYOUT, "currency": "XTR"}
    safe = await safe_tiles(engine, game["id"])
    for tile in safe[:CAP_TILES]:
        step = await app_api.post(
            f"/api/v1/app/mines/{game['id']}/reveal",
            json={"tile": tile, "request_id": str(uuid.uuid4())},
            headers=headers,
        )
        assert step.status_code == 200, step.text
        game = step.json()
    assert game["state"] == "open"
    assert game["next_multiplier"] is None
    before = await footprint(engine, game["id"])
    for tile in (safe[CAP_TILES], (await positions(engine, game["id"]))[0]):
        over = await app_api.post(
            f"/api/v1/app/mines/{game['id']}/reveal",
            json={"tile": tile, "request_id": str(uuid.uuid4())},
            headers=headers,
        )
        assert over.status_code == 409, over.text
        assert over.headers["content-type"].startswith("application/problem+json")
        assert "the next tile would pay" in over.json()["detail"]
    assert await footprint(engine, game["id"]) == before
    out = await app_api.post(
        f"/api/v1/app/mines/{game['id']}/cashout",
        json={"request_id": str(uuid.uuid4())},
        headers=headers,
    )
    assert out.json()["payout"] == CAP_PAYOUT


async def test_a_player_blocked_mid_game_reads_it_cannot_reveal_and_cashes_out(
    app_api,  # noqa: F811
    session,  # noqa: F811
    credit,
    uow_factory,
):
    """The stake is taken: a player blocked with a game open still reaches the game from the
    session they had, is refused a new tile with the reason (nothing written), and cashes out
    the safe tiles revealed. Opening a new game stays refused."""
    from domain.players import PlayerStatus

    headers = await session()
    player_id = await _credit(app_api, headers, credit, 100)
    game = await _safe_tile_game(app_api, headers)
    async with uow_factory() as uow:
        await uow.players.set_status(player_id, PlayerStatus.BLOCKED, "tests")
        await uow.commit()
    current = await app_api.get("/api/v1/app/mines?currency=XTR", headers=headers)
    assert current.status_code == 200, current.text
    assert current.json() == game
    tile = next(t for t in range(25) if t not in game["revealed"])
    refused = await app_api.post(
        f"/api/v1/app/mines/{game['id']}/reveal",
        json={"tile": tile, "request_id": str(uuid.uuid4())},
        headers=headers,
    )
    assert refused.status_code == 403, refused.text
    problem = refused.json()
    assert (problem["code"], problem["rule"]) == ("player_blocked", "blocked")
    assert "no more tiles can be revealed" in problem["detail"]
    again = await app_api.get("/api/v1/app/mines?currency=XTR", headers=headers)
    assert again.json() == game  # nothing written
    out = await app_api.post(
        f"/api/v1/app/mines/{game['id']}/cashout",
        json={"request_id": str(uuid.uuid4())},
        headers=headers,
    )
    assert out.status_code == 200, out.text
    assert out.json()["state"] == "cashed_out"
    assert (await _open(app_api, headers)).json()["code"] == "player_blocked"
    assert (await app_api.get("/api/v1/app/me", headers=headers)).status_code == 403


async def _safe_tile_game(app_api, headers):  # noqa: F811
    """A one-mine game with one safe tile revealed (another game when tile 0 was the mine)."""
    while True:
        opened = await _open(app_api, headers, stake=1)
        assert opened.status_code == 200, opened.text
        step = await app_api.post(
            f"/api/v1/app/mines/{opened.json()['id']}/reveal",
            json={"tile": 0, "request_id": str(uuid.uuid4())},
            headers=headers,
        )
        if step.json()["state"] == "open":
            return step.json()
