"""The door x rule matrix's cases of the Mini App's deposit screen (docs/miniapp.md, "Deposit"):
`POST /api/v1/app/deposit/stars` (a Stars invoice and Telegram's payment link, the Bot API a
fake) and `POST /api/v1/app/deposit/crypto` (a Crypto Pay invoice, the provider the matrix's
in-memory fake). Both are `Operation.DEPOSIT`, refused by the same use cases as the bot's
deposit; each cell opens its session and answers the prompt at the first deposit ("No limit
for now") in good standing first. The prompt itself, a deposit limit and the rate cap are
rows of their own in test_http_miniapp_deposit.py and test_bot_deposit_prompt_roads.py."""

from __future__ import annotations

import secrets

from tests.entrypoints.door_cases import mini_app_session
from tests.entrypoints.door_world import Answer, Cell, http_answer


async def mini_app_deposit_ready(cell: Cell) -> None:
    """A live Mini App session, and the prompt answered from it, in good standing."""
    await mini_app_session(cell)
    answered = await cell.world.http.post(
        "/api/v1/app/deposit/no-limit", headers=cell.subject.session
    )
    assert answered.status_code == 200, answered.text


async def mini_app_stars(cell: Cell) -> Answer:
    response = await cell.world.http.post(
        "/api/v1/app/deposit/stars", json={"amount": 50}, headers=cell.subject.session
    )
    return http_answer(response, 201)


async def mini_app_crypto(cell: Cell) -> Answer:
    tap = {"asset": "USDT", "amount": "5", "request_id": secrets.token_hex(8)}
    response = await cell.world.http.post(
        "/api/v1/app/deposit/crypto", json=tap, headers=cell.subject.session
    )
    return http_answer(response, 201, ("replayed", False))
