"""The Mini App's bonus buttons (POST /api/v1/app/bonus/{id}/claim and /give-up, docs/bonuses.md
"The player's view"): the bot's own use cases behind them, a repeat answered with the bonus as
the first press ended it, every refusal as problem details, and the ledger moved once."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from application.responsible import StartTimeout
from domain.responsible import TimeoutPeriod
from tests.entrypoints.bonus_grants import grant_test_bonus
from tests.entrypoints.test_http_miniapp import app_api, init_data, session  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


async def _player_id(app_api, headers) -> int:  # noqa: F811
    return (await app_api.get("/api/v1/app/me", headers=headers)).json()["player_id"]


async def _ends(engine, bonus_id: uuid.UUID) -> tuple[str, int]:
    """The bonus's state, and how many journal entries ended it (conversion or forfeit)."""
    async with engine.connect() as conn:
        state = await conn.execute(text("SELECT state FROM bonuses WHERE id = :i"), {"i": bonus_id})
        count = await conn.execute(
            text(
                "SELECT count(*) FROM ledger_transactions WHERE kind IN ('conversion', 'forfeit')"
                " AND idempotency_key LIKE :k"
            ),
            {"k": f"%{bonus_id}%"},
        )
        return state.scalar_one(), count.scalar_one()


async def test_a_met_bonus_is_claimed_once_and_a_repeat_answers_it(
    app_api,  # noqa: F811
    session,  # noqa: F811
    uow_factory,
    ids,
    clock,
    engine,
):
    headers = await session()
    bonus_id = await grant_test_bonus(
        uow_factory, ids, clock, await _player_id(app_api, headers), wagering=0
    )
    before = (await app_api.get("/api/v1/app/balances", headers=headers)).json()
    first = await app_api.post(f"/api/v1/app/bonus/{bonus_id}/claim", headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["state"] == "converted"
    assert first.json()["amount"] == {"amount": 30, "currency": "XTR"}
    again = await app_api.post(f"/api/v1/app/bonus/{bonus_id}/claim", headers=headers)
    assert again.json() == first.json()
    assert await _ends(engine, bonus_id) == ("converted", 1)
    after = (await app_api.get("/api/v1/app/balances", headers=headers)).json()
    assert after != before  # the 30 ⭐ are cash now
    listed = (await app_api.get("/api/v1/app/bonus", headers=headers)).json()
    assert listed["bonuses"] == []


async def test_a_bonus_is_given_up_whatever_its_progress_and_refusals_are_problems(
    app_api,  # noqa: F811
    session,  # noqa: F811
    uow_factory,
    ids,
    clock,
    engine,
):
    headers, other = await session(), await session()
    bonus_id = await grant_test_bonus(
        uow_factory, ids, clock, await _player_id(app_api, headers), wagering=5
    )

    def problem(answer) -> tuple[int, str]:
        assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
        return answer.status_code, answer.json()["code"]

    short = await app_api.post(f"/api/v1/app/bonus/{bonus_id}/claim", headers=headers)
    assert problem(short) == (422, "wagering_incomplete")
    stranger = await app_api.post(f"/api/v1/app/bonus/{bonus_id}/give-up", headers=other)
    assert problem(stranger)[0] == 404  # another player's bonus is as if it did not exist
    given = await app_api.post(f"/api/v1/app/bonus/{bonus_id}/give-up", headers=headers)
    assert given.status_code == 200, given.text
    assert given.json()["state"] == "forfeited"
    again = await app_api.post(f"/api/v1/app/bonus/{bonus_id}/give-up", headers=headers)
    assert again.json() == given.json()
    assert await _ends(engine, bonus_id) == ("forfeited", 1)
    late = await app_api.post(f"/api/v1/app/bonus/{bonus_id}/claim", headers=headers)
    assert problem(late) == (409, "illegal_transition")
    nothing = await app_api.post(f"/api/v1/app/bonus/{uuid.uuid4()}/claim", headers=headers)
    assert problem(nothing)[0] == 404
    bad = await app_api.post("/api/v1/app/bonus/not-a-uuid/claim", headers=headers)
    assert bad.status_code in (400, 404, 405)


async def test_a_player_on_a_break_cannot_claim_but_may_give_up(
    app_api,  # noqa: F811
    session,  # noqa: F811
    uow_factory,
    ids,
    clock,
):
    headers = await session()
    player_id = await _player_id(app_api, headers)
    bonus_id = await grant_test_bonus(uow_factory, ids, clock, player_id, wagering=0)
    await StartTimeout(uow_factory, clock)(player_id, TimeoutPeriod.DAY)
    refused = await app_api.post(f"/api/v1/app/bonus/{bonus_id}/claim", headers=headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "responsible_gambling"
    given = await app_api.post(f"/api/v1/app/bonus/{bonus_id}/give-up", headers=headers)
    assert (given.status_code, given.json()["state"]) == (200, "forfeited")
