"""The door × rule matrix's requests at the VIP doors (test_door_rule_matrix.py), the bot's
buttons and the Mini App's routes: a rakeback claim and the daily play-money bonus, both
`Operation.PROMOTION`.

The claim's case prepares a settled bet; in good standing the door must let the player through
to the claim: the paid screen, or the claim's own answer that nothing is claimable yet (the
bet settled within the claim's settlement grace, which the matrix's processes keep at its
default). That the claim pays is proven by tests/entrypoints/test_bot_vip.py and on
PostgreSQL by tests/integration/test_vip_claims.py; here what matters is that every refusing
standing is refused with its own words and writes nothing."""

from __future__ import annotations

import uuid
from typing import Any

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage

from entrypoints.bot.i18n import Translator
from entrypoints.bot.vip_keyboards import Vip
from tests.entrypoints.door_cases import grpc_place_bet, mini_app_session
from tests.entrypoints.door_world import LANGUAGE, Answer, Cell, bot_answer, http_answer

_T = Translator(LANGUAGE)


def _screen(calls: list[Any], prefix: str) -> bool:
    alerts = [c for c in calls if isinstance(c, AnswerCallbackQuery) and c.show_alert]
    return not alerts and any(
        isinstance(c, SendMessage | EditMessageText) and c.text.startswith(prefix) for c in calls
    )


async def played_a_bet(cell: Cell) -> None:
    """A coin bet placed and settled in good standing (over gRPC, as an integrator would)."""
    placed = await grpc_place_bet(cell)
    assert placed.ok, placed.raw


async def bot_claim_rakeback(cell: Cell) -> Answer:
    button = Vip(action="claim", currency="XTR", claim=uuid.uuid4().hex)

    def through(calls: list[Any]) -> bool:
        nothing = _T("vip.nothing_to_claim")
        told = any(isinstance(c, AnswerCallbackQuery) and c.text == nothing for c in calls)
        return told or _screen(calls, "💰")

    return await bot_answer(cell, cell.subject.user.tap(button.pack()), through)


async def bot_daily_bonus(cell: Cell) -> Answer:
    update = cell.subject.user.tap(Vip(action="daily").pack())
    return await bot_answer(cell, update, lambda calls: _screen(calls, "🎁"))


async def session_and_a_bet(cell: Cell) -> None:
    await mini_app_session(cell)
    await played_a_bet(cell)


async def mini_app_claim_rakeback(cell: Cell) -> Answer:
    body = {"currency": "XTR", "claim_id": str(uuid.uuid4())}
    response = await cell.world.http.post(
        "/api/v1/app/vip/rakeback/claim", json=body, headers=cell.subject.session
    )
    answer = http_answer(response, 200)
    if (answer.status, answer.code) == ("409", "nothing_to_claim"):  # let through, see above
        return Answer("http", True, answer.status, answer.code, raw=answer.raw)
    return answer


async def mini_app_daily_bonus(cell: Cell) -> Answer:
    response = await cell.world.http.post(
        "/api/v1/app/vip/daily", json={}, headers=cell.subject.session
    )
    return http_answer(response, 200)
