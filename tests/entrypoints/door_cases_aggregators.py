"""The door x rule matrix's cases of the Hub88-style aggregator wallet (issue 24): a bet
(`Operation.BET`, the seamless debit's), and a win and a rollback of a round opened in good
standing (`Operation.SETTLE`: never refused, a round already played settles). The aggregator
signs every body with its key; the matrix's world is configured with its public key, and its
service key is issued by `aggregator_settings`' caller (test_door_rule_matrix.py's world).

Its refusals are the dialect's: HTTP 200 with `RS_ERROR_USER_DISABLED` for a standing or a
responsible-gambling refusal (`door_world.assert_refused`, kind "hub88")."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path
from typing import Any

from application.aggregators import IssueGameSession
from domain.money import XTR
from tests.entrypoints.aggregator_doors import WIRE, HttpDoor, KeyPair
from tests.entrypoints.door_world import Answer, Cell

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
