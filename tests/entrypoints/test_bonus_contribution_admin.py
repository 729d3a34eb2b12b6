"""Each game's share of a stake toward bonus wagering (docs/bonuses.md, "Wagering progress"):
listed with the game's settings, changed by operators with PATCH /api/v1/games/{code},
audited before and after, refused outside 0-100."""

from __future__ import annotations

import pytest
from sqlalchemy import text

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


async def test_operators_change_a_games_bonus_contribution_audited(api, staff, engine):
    operator, viewer = await staff("operator"), await staff("viewer")
    listed = (await api.get("/api/v1/games/", headers=viewer)).json()["games"]
    shares = {g["code"]: g["bonus_contribution_pct"] for g in listed}
    assert (shares["plinko"], shares["dice"], shares["tg_dice"], shares["roulette"]) == (
        100,
        10,
        10,
        5,
    )
    too_much = await api.patch(
        "/api/v1/games/roulette", headers=operator, json={"bonus_contribution_pct": 101}
    )
    assert too_much.status_code == 400, too_much.text
    changed = await api.patch(
        "/api/v1/games/roulette", headers=operator, json={"bonus_contribution_pct": 20}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["bonus_contribution_pct"] == 20
    async with engine.connect() as conn:
        stored = await conn.execute(
            text("SELECT bonus_contribution_pct FROM games WHERE code = 'roulette'")
        )
        assert stored.scalar_one() == 20
        entry = (
            await conn.execute(
                text(
                    "SELECT before, after FROM audit_log WHERE action = 'game_changed'"
                    " AND subject = 'game:roulette' ORDER BY id DESC LIMIT 1"
                )
            )
        ).one()
    assert (entry.before["bonus_contribution_pct"], entry.after["bonus_contribution_pct"]) == (
        5,
        20,
    )
    restored = await api.patch(
        "/api/v1/games/roulette", headers=operator, json={"bonus_contribution_pct": 5}
    )
    assert restored.status_code == 200
