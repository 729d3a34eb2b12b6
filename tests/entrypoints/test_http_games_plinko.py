"""Plinko in the games admin: listed with its edge (which scales its tables) and limits; an
edge that would put any (rows, risk) table's RTP outside the range is refused."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


async def test_plinko_is_listed_and_its_edge_is_held_in_range(api, staff):
    operator = await staff("operator")
    listed = await api.get("/api/v1/games/", headers=operator)
    assert listed.status_code == 200
    plinko = next(g for g in listed.json()["games"] if g["code"] == "plinko")
    assert (plinko["title"], plinko["source"]) == ("Plinko", "provably_fair")
    assert plinko["house_edge"] == "0.01"
    assert plinko["uses_house_edge"] is True
    assert set(plinko["limits"]) >= {"XTR", "TON", "USDT", "FUN"}
    for edge in ("0", "0.005", "0.1"):  # RTP above 99.5% or below 90% for some table
        refused = await api.patch(
            "/api/v1/games/plinko", headers=operator, json={"house_edge": edge}
        )
        assert refused.status_code == 400, (edge, refused.text)
        assert "RTP" in refused.json()["detail"]
    changed = await api.patch("/api/v1/games/plinko", headers=operator, json={"house_edge": "0.02"})
    assert changed.status_code == 200, changed.text
    restored = await api.patch(
        "/api/v1/games/plinko", headers=operator, json={"house_edge": "0.01"}
    )
    assert restored.status_code == 200
