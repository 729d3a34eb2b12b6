"""GET /api/v1/app/games/{code}/rules: the Mini App's rules panel reads the same numbers as the
bot's ℹ️ Rules (GetGameRules over domain/games/rules.py), at the configured house edge."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlalchemy import text

from domain.games.catalog import GAMES
from domain.games.rules import game_rules, percent
from tests.entrypoints.test_http_miniapp import app_api, init_data, session  # noqa: F401

pytestmark = [pytest.mark.integration]


async def test_the_rules_panel_reads_the_games_own_numbers(app_api, session, engine):  # noqa: F811
    headers = await session()
    coin = await app_api.get("/api/v1/app/games/coin/rules", headers=headers)
    assert coin.status_code == 200, coin.text
    body = coin.json()
    async with engine.connect() as conn:
        edge = Fraction(
            (
                await conn.execute(text("SELECT house_edge FROM games WHERE code = 'coin'"))
            ).scalar_one()
        )
    expected = game_rules(GAMES["coin"], edge)
    assert body["rtp_low"] == body["rtp_high"] == percent(expected.rtp_low)
    assert body["source"] == "provably_fair"
    assert body["max_payout"] == {"amount": 1_000_000, "currency": "XTR"}
    assert body["pay_table"] == []

    slot = (await app_api.get("/api/v1/app/games/tg_slot/rules", headers=headers)).json()
    assert (slot["rtp_low"], slot["house_edge_high"]) == ("96.87", "3.13")
    assert slot["pay_table"] == [
        {"params": {}, "multiplier": "10", "chance": "3/64", "chance_percent": "4.68"},
        {"params": {}, "multiplier": "32", "chance": "1/64", "chance_percent": "1.56"},
    ]
    assert slot["source"] == "telegram_dice"

    unknown = await app_api.get("/api/v1/app/games/baccarat/rules", headers=headers)
    assert unknown.status_code == 409
    assert unknown.headers["content-type"].startswith("application/problem+json")
    odd = await app_api.get("/api/v1/app/games/coin/rules?currency=%%%", headers=headers)
    assert odd.status_code == 400
    assert (await app_api.get("/api/v1/app/games/coin/rules")).status_code == 401
