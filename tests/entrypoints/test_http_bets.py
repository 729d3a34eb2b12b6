"""Bets on the admin API: search, and one bet with its fairness data and a recomputation of
its outcome once the seed pair is revealed.

Seeded bets are placed through the HTTP app's own container: its server seeds are sealed
with the app's seed key, which the inspection must be able to open."""

from __future__ import annotations

import secrets
import uuid

import pytest

from application.betting import PlaceBetCommand, SettleDiceBetCommand
from application.betting.queue import BetQueue
from application.seeds import RotateSeedPair
from domain.money import XTR, Money

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

BETS = "/api/v1/bets"


@pytest.fixture
def place_via_app(http_container):
    async def place(player_id: int, game: str, stake: int, **params: str):
        async with http_container() as scope:
            use_case = await scope.get(BetQueue)
            return await use_case(
                PlaceBetCommand(player_id, uuid.uuid4(), game, Money(stake, XTR), params)
            )

    return place


@pytest.fixture
def rotate_via_app(http_container):
    async def rotate(player_id: int):
        async with http_container() as scope:
            return await (await scope.get(RotateSeedPair))(player_id)

    return rotate


async def test_search_by_player_game_and_state_newest_first(
    api, staff, funded_player, place_via_app, settle
):
    player = await funded_player(1000)
    coin = await place_via_app(player.id, "coin", 10, side="heads")
    dice = await place_via_app(player.id, "tg_dice", 20, bet="even")
    settled = await place_via_app(player.id, "tg_dice", 30, bet="odd")
    await settle(
        SettleDiceBetCommand(
            settled.bet.id,
            chat_id=secrets.randbelow(2**40),
            message_id=secrets.randbelow(2**40),
            value=3,
        )
    )
    viewer = await staff("viewer")

    everything = await api.get(BETS + "/", params={"player_id": player.id}, headers=viewer)
    assert everything.status_code == 200, everything.text
    bets = everything.json()["bets"]
    assert [b["id"] for b in bets] == [str(settled.bet.id), str(dice.bet.id), str(coin.bet.id)]
    assert everything.json()["next_cursor"] is None
    first_coin = bets[2]
    assert first_coin["game"] == "coin"
    assert first_coin["params"] == {"side": "heads"}
    assert first_coin["stake"] == 10
    assert first_coin["currency"] == "XTR"
    assert first_coin["state"] in ("won", "lost")
    assert first_coin["multiplier"] in ("0", "1.98")
    assert first_coin["payout"] in (0, 19)

    coins = await api.get(
        BETS + "/", params={"player_id": player.id, "game": "coin"}, headers=viewer
    )
    assert [b["id"] for b in coins.json()["bets"]] == [str(coin.bet.id)]
    open_bets = await api.get(
        BETS + "/", params={"player_id": player.id, "state": "placed"}, headers=viewer
    )
    assert [b["id"] for b in open_bets.json()["bets"]] == [str(dice.bet.id)]
    won = await api.get(BETS + "/", params={"player_id": player.id, "state": "won"}, headers=viewer)
    assert str(settled.bet.id) in [b["id"] for b in won.json()["bets"]]

    placed_at = bets[0]["placed_at"]
    before_last = await api.get(
        BETS + "/", params={"player_id": player.id, "to": placed_at}, headers=viewer
    )
    assert [b["id"] for b in before_last.json()["bets"]] == [str(dice.bet.id), str(coin.bet.id)]


async def test_search_pages_across_two_pages(api, staff, funded_player, place_via_app):
    player = await funded_player(1000)
    placed = [await place_via_app(player.id, "tg_dice", 5, bet="low") for _ in range(3)]
    viewer = await staff("viewer")
    params = {"player_id": player.id, "limit": 2}
    first = (await api.get(BETS + "/", params=params, headers=viewer)).json()
    assert [b["id"] for b in first["bets"]] == [str(placed[2].bet.id), str(placed[1].bet.id)]
    second = (
        await api.get(BETS + "/", params={**params, "cursor": first["next_cursor"]}, headers=viewer)
    ).json()
    assert [b["id"] for b in second["bets"]] == [str(placed[0].bet.id)]
    assert second["next_cursor"] is None


async def test_a_seeded_bet_is_not_revealed_then_recomputed_after_rotation(
    api, staff, funded_player, place_via_app, rotate_via_app
):
    player = await funded_player(1000)
    receipt = await place_via_app(player.id, "dice", 10, direction="over", target="50")
    bet = receipt.bet
    viewer = await staff("viewer")

    before = await api.get(f"{BETS}/{bet.id}", headers=viewer)
    assert before.status_code == 200, before.text
    body = before.json()
    assert body["game"] == "dice"
    assert body["params"] == dict(bet.params)
    assert body["house_edge"] == "0.01"
    assert body["outcome"] == bet.outcome
    assert body["payout"] == bet.payout
    assert body["settlement_transaction_id"] == str(bet.settlement_transaction_id)
    fairness = body["fairness"]
    assert fairness == {
        "seed_pair_id": bet.fairness.seed_pair_id,
        "nonce": bet.fairness.nonce,
        "server_seed_hash": bet.fairness.server_seed_hash,
        "client_seed": bet.fairness.client_seed,
        "revealed": False,
        "server_seed": None,
    }
    assert body["verification"]["status"] == "not_revealed"
    assert body["verification"]["matches"] is None

    rotation = await rotate_via_app(player.id)
    server_seed = rotation.revealed.server_seed
    assert server_seed not in before.text  # the secret never left before the rotation

    after = (await api.get(f"{BETS}/{bet.id}", headers=viewer)).json()
    assert after["fairness"]["revealed"] is True
    assert after["fairness"]["server_seed"] == server_seed
    verification = after["verification"]
    assert verification["status"] == "verified"
    assert verification["matches"] is True
    assert verification["outcome"] == bet.outcome
    assert verification["payout"] == bet.payout
    assert verification["multiplier"] == after["multiplier"]
    assert verification["result"] == after["result"]


async def test_a_telegram_dice_bet_has_no_seeds_to_check(
    api, staff, funded_player, place_via_app, settle
):
    player = await funded_player(1000)
    receipt = await place_via_app(player.id, "tg_dice", 100, bet="even")
    chat, message = secrets.randbelow(2**40), secrets.randbelow(2**40)
    await settle(SettleDiceBetCommand(receipt.bet.id, chat_id=chat, message_id=message, value=4))
    body = (await api.get(f"{BETS}/{receipt.bet.id}", headers=await staff("support"))).json()
    assert body["state"] == "won"
    assert body["payout"] == 194
    assert body["multiplier"] == "1.94"
    assert body["dice"] == {"chat_id": chat, "message_id": message}
    assert body["fairness"] is None
    assert body["verification"]["status"] == "not_applicable"


async def test_errors_are_problem_details(api, staff):
    viewer = await staff("viewer")
    for params, field in (
        ({"game": "poker"}, "game"),
        ({"state": "pending"}, "state"),
        ({"limit": 0}, "limit"),
        ({"player_id": -1}, "player_id"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"to": "9999-12-31T23:00:00-05:00"}, "to"),  # after year 9999 in UTC
    ):
        response = await api.get(BETS + "/", params=params, headers=viewer)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == field
    missing = await api.get(f"{BETS}/{uuid.uuid4()}", headers=viewer)
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    for response in (await api.get(BETS + "/"), await api.get(f"{BETS}/{uuid.uuid4()}")):
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
