"""The stake of a mines game back before its first tile over gRPC (MinesService.Void) and the
Mini App's HTTP route (POST /api/v1/app/mines/{id}/void): the stake returned once, a repeat
replayed, and a game under way refused with the door's own error, never INTERNAL."""

from __future__ import annotations

import uuid

import grpc
import pytest

from croupier.v1 import mines_pb2, mines_pb2_grpc
from tests.entrypoints.grpc_calls import bad_fields, rpc_error, xtr
from tests.entrypoints.test_http_miniapp import _credit, app_api, session  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


@pytest.fixture
def mines(channel):
    return mines_pb2_grpc.MinesServiceStub(channel)


def _open(pid: str) -> mines_pb2.OpenMinesRequest:
    return mines_pb2.OpenMinesRequest(
        player_id=pid, request_id=str(uuid.uuid4()), stake=xtr(10), mines=1
    )


async def test_grpc_void_returns_the_stake_once(mines, md, player):
    pid = await player(1000)
    game = await mines.Open(_open(pid), metadata=md)
    request = mines_pb2.VoidMinesRequest(player_id=pid, game_id=game.id)
    voided = await mines.Void(request, metadata=md)
    assert voided.state == mines_pb2.MINES_STATE_VOIDED
    assert voided.payout == 10
    assert voided.multiplier == "1"
    assert voided.balance.amount == 1000
    assert len(voided.mine_positions) == 1
    assert not voided.replayed
    assert (await mines.Void(request, metadata=md)).replayed
    late = await rpc_error(
        mines.Reveal(
            mines_pb2.RevealTileRequest(player_id=pid, game_id=game.id, tile=0), metadata=md
        )
    )
    assert late.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_grpc_void_after_a_tile_or_of_nothing_names_the_problem(mines, md, player):
    pid = await player(1000)
    game = await mines.Open(_open(pid), metadata=md)
    step = await mines.Reveal(
        mines_pb2.RevealTileRequest(player_id=pid, game_id=game.id, tile=0), metadata=md
    )
    refused = await rpc_error(
        mines.Void(mines_pb2.VoidMinesRequest(player_id=pid, game_id=game.id), metadata=md)
    )
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    expected = "busted" if step.state == mines_pb2.MINES_STATE_BUSTED else "a tile is revealed"
    assert expected in refused.details()
    bad = await rpc_error(
        mines.Void(mines_pb2.VoidMinesRequest(player_id=pid, game_id="x"), metadata=md)
    )
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(bad) == ["game_id"]
    other = await player(1000)
    stranger = await rpc_error(
        mines.Void(mines_pb2.VoidMinesRequest(player_id=other, game_id=game.id), metadata=md)
    )
    assert stranger.code() == grpc.StatusCode.NOT_FOUND


async def test_the_mini_app_takes_the_stake_back(app_api, session, credit):  # noqa: F811
    headers = await session()
    await _credit(app_api, headers, credit, 100)
    opened = await app_api.post(
        "/api/v1/app/mines",
        json={"stake": 10, "mines": 1, "request_id": str(uuid.uuid4())},
        headers=headers,
    )
    game = opened.json()
    assert game["balance"]["amount"] == 90

    async def void(game_id: str):
        return await app_api.post(
            f"/api/v1/app/mines/{game_id}/void",
            json={"request_id": str(uuid.uuid4())},
            headers=headers,
        )

    voided = await void(game["id"])
    assert voided.status_code == 200, voided.text
    shown = voided.json()
    assert shown["state"] == "voided"
    assert shown["payout"] == 10
    assert shown["balance"] == {"amount": 100, "currency": "XTR"}
    assert (await void(game["id"])).json() == shown  # a repeat answers the first
    none = await app_api.get("/api/v1/app/mines?currency=XTR", headers=headers)
    assert none.status_code == 404  # no open game left
    second = (
        await app_api.post(
            "/api/v1/app/mines",
            json={"stake": 10, "mines": 1, "request_id": str(uuid.uuid4())},
            headers=headers,
        )
    ).json()
    await app_api.post(
        f"/api/v1/app/mines/{second['id']}/reveal",
        json={"tile": 3, "request_id": str(uuid.uuid4())},
        headers=headers,
    )
    late = await void(second["id"])
    assert late.status_code == 409
    assert late.headers["content-type"].startswith("application/problem+json")
