"""The largest limit at the Mini App's door (issue 23): the domain's bound
(`domain.responsible.max_limit`) refuses more than a billion stars with problem details, as the
bot answers it in words (tests/entrypoints/test_bot_limit_typing.py); nothing is written."""

from __future__ import annotations

import pytest

from tests.entrypoints.test_http_miniapp import app_api, session  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


async def test_a_limit_over_the_bound_is_a_clear_400_and_writes_nothing(
    app_api,  # noqa: F811
    session,  # noqa: F811
):
    headers = await session()
    over = await app_api.put(
        "/api/v1/app/limits/deposit/24h", json={"amount": 1_000_000_001}, headers=headers
    )
    assert over.status_code == 400, over.text
    assert "at most 1000000000" in over.json()["detail"]
    shown = await app_api.get("/api/v1/app/limits", headers=headers)
    assert shown.json()["limits"] == []
    top = await app_api.put(
        "/api/v1/app/limits/deposit/24h", json={"amount": 1_000_000_000}, headers=headers
    )
    assert top.json() == {"applied": True, "confirmable_at": None}
