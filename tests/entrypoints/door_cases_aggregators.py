"""The door x rule matrix's cases of the Hub88-style aggregator wallet (issue 24): a bet
(`Operation.BET`, the seamless debit's), and a win and a rollback of a round opened in good
standing (`Operation.SETTLE`: never refused, a round already played settles). The aggregator
signs every body with its key; the matrix's world is configured with its public key, and its
service key is issued by `aggregator_settings`' caller (test_door_rule_matrix.py's world).

Its refusals are the dialect's: HTTP 200 with `RS_ERROR_USER_DISABLED` for a standing or a
responsible-gambling refusal (`door_world.assert_refused`, kind "hub88").

And the Mini App's launch of an aggregator's game (`Operation.BET`: a launch is refused to
whoever may not bet), against an in-memory operator API (`FakeAggregatorApi`, the world's
override: the signed HTTP one is tests/entrypoints/test_aggregator_launch.py's); its
refusals are problem details, as every Mini App door's."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path
from typing import Any

from dishka import Provider, Scope, provide

from application.aggregators import (
    IssueGameSession,
    RefreshAggregatorGames,
    SetAggregatorGameEnabled,
)
from application.ports import AggregatorApi
from application.staff import Actor
from domain.aggregator_games import ListedGame
from domain.money import XTR
from tests.entrypoints.aggregator_doors import WIRE, HttpDoor, KeyPair
from tests.entrypoints.door_cases import mini_app_session
from tests.entrypoints.door_world import Answer, Cell, http_answer
from tests.fake_aggregator_games import FakeAggregatorApi

NAME = f"matrix-hub-{secrets.token_hex(4)}"
SESSION_KEY = secrets.token_bytes(32)
THEIRS = KeyPair.new()
OURS = KeyPair.new()
GAME = "slots-1"


def aggregator_settings(folder: Path) -> dict[str, Any]:
    return {
        "aggregator_keys": f"{NAME}={THEIRS.write_public(folder / 'aggregator.pem')}",
        "aggregator_signing_key": str(OURS.write_private(folder / "croupier.pem")),
        "game_session_key": SESSION_KEY.hex(),
    }


async def _door(cell: Cell) -> HttpDoor:
    token = await cell.world.use(IssueGameSession, cell.subject.player_id, XTR, GAME, NAME)
    return HttpDoor(cell.world.http, NAME, THEIRS, OURS, cell.pid, token)


def _answer(body: dict[str, Any]) -> Answer:
    status = str(body.get("status", ""))
    return Answer("hub88", status == "RS_OK", status, status.lower(), None, raw=str(body))


async def hub88_bet(cell: Cell) -> Answer:
    door = await _door(cell)
    fields = {
        "transaction_uuid": uuid.uuid4().hex,
        "round": uuid.uuid4().hex,
        "currency": "XTR",
        "amount": 5 * WIRE,
        "token": door.token,
        "game_code": GAME,
    }
    return _answer(await door.post("/transaction/bet", fields))


async def hub88_open_round(cell: Cell) -> tuple[str, str]:
    """An aggregator's bet: a round waiting for its win (or rollback)."""
    bet, round_id = uuid.uuid4().hex, uuid.uuid4().hex
    said = await (await _door(cell)).bet(bet, round_id, 5)
    assert said.status == "RS_OK", said
    return bet, round_id


async def hub88_win(cell: Cell) -> Answer:
    bet, round_id = cell.prepared
    fields = {
        "transaction_uuid": uuid.uuid4().hex,
        "reference_transaction_uuid": bet,
        "round": round_id,
        "currency": "XTR",
        "amount": 8 * WIRE,
        "game_code": GAME,
    }
    return _answer(await (await _door(cell)).post("/transaction/win", fields))


async def hub88_rollback(cell: Cell) -> Answer:
    bet, round_id = cell.prepared
    door = await _door(cell)
    fields = {
        "transaction_uuid": uuid.uuid4().hex,
        "reference_transaction_uuid": bet,
        "round": round_id,
        "token": door.token,
        "game_code": GAME,
    }
    return _answer(await door.post("/transaction/rollback", fields))


OPERATOR_API = FakeAggregatorApi({NAME: [ListedGame(GAME, "Matrix Slot", "slots", "studio")]})


class FakeOperatorApi(Provider):
    @provide(scope=Scope.APP, override=True)
    def api(self) -> AggregatorApi:
        return OPERATOR_API


async def mini_app_launch_ready(cell: Cell) -> None:
    """The game in the catalogue, switched on; a Mini App session opened in good standing."""
    await cell.world.use(RefreshAggregatorGames, NAME)
    await cell.world.use(SetAggregatorGameEnabled, NAME, GAME, True, Actor("staff:matrix"))
    await mini_app_session(cell)


async def mini_app_launch(cell: Cell) -> Answer:
    response = await cell.world.http.post(
        f"/api/v1/app/aggregator-games/{NAME}/{GAME}/launch",
        json={"currency": "XTR"},
        headers=cell.subject.session,
    )
    return http_answer(response, 200)
