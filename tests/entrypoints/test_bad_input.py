"""Bad input at the doors is a clear, short refusal: never INTERNAL, never a 500, never an echo
of megabytes (issue 18, "bad input is a clear refusal")."""

from __future__ import annotations

import uuid

import grpc
import pytest

from croupier.v1 import betting_pb2
from tests.entrypoints.grpc_calls import rpc_error, xtr

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

HUGE_NUMBERS = ["1e999999999", "9" * 100_000, "Infinity", "NaN"]


@pytest.mark.parametrize("target", HUGE_NUMBERS)
async def test_a_huge_game_target_is_invalid_argument_not_internal(betting, md, player, target):
    request = betting_pb2.PlaceBetRequest(
        player_id=await player(1000),
        bet_id=str(uuid.uuid4()),
        game="limbo",
        stake=xtr(10),
        params={"target": target},
    )
    refused = await rpc_error(betting.PlaceBet(request, metadata=md))
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(refused.details() or "") < 300


@pytest.mark.parametrize("edge", HUGE_NUMBERS)
async def test_a_huge_house_edge_is_a_400_not_a_500(api, staff, edge):
    operator = await staff("operator")
    refused = await api.patch("/api/v1/games/dice", headers=operator, json={"house_edge": edge})
    assert refused.status_code == 400, refused.text
    assert len(refused.content) < 2000


MEGABYTE = "\x1b[31m" + "g" * 1_000_000


async def test_a_megabyte_game_name_comes_back_as_a_short_excerpt(betting, md, player):
    request = betting_pb2.PlaceBetRequest(
        player_id=await player(1000),
        bet_id=str(uuid.uuid4()),
        game=MEGABYTE,
        stake=xtr(10),
        params={"target": "2"},
    )
    refused = await rpc_error(betting.PlaceBet(request, metadata=md))
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    trailers = sum(len(value) for _, value in refused.trailing_metadata() or ())
    assert trailers < 4000
    assert "\\x1b[31mggg" in (refused.details() or "")  # escaped, not a terminal escape


async def test_a_megabyte_currency_comes_back_as_a_short_excerpt(api, staff):
    finance = await staff("finance")
    refused = await api.post(
        "/api/v1/adjustments/",
        headers=finance,
        json={"player_id": 1, "amount": 10, "currency": MEGABYTE, "reason": "x"},
    )
    assert 400 <= refused.status_code < 500
    assert len(refused.content) < 4000
