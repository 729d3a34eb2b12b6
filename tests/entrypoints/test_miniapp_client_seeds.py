"""The client seed rule at the Mini App's door (issue 25): the same rule as the bot's
`/clientseed` (domain.fairness): any alphabet or emoji is taken and kept composed, an
invisible character is refused naming the field."""

from __future__ import annotations

import unicodedata

import pytest

from tests.entrypoints.test_http_miniapp import app_api, session  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


async def _rotate(client, headers, seed: str):
    return await client.post(
        "/api/v1/app/fairness/rotate", json={"client_seed": seed}, headers=headers
    )


async def test_a_cyrillic_or_emoji_seed_is_taken_and_an_invisible_one_refused(
    app_api,  # noqa: F811
    session,  # noqa: F811
):
    headers = await session()
    for seed in ("удача-7", "幸運の種", "🍀🎲"):
        rotated = await _rotate(app_api, headers, seed)
        assert rotated.status_code in (200, 201), rotated.text
        assert rotated.json()["active"]["client_seed"] == seed
    typed = unicodedata.normalize("NFD", "йод")
    rotated = await _rotate(app_api, headers, typed)
    assert rotated.json()["active"]["client_seed"] == "йод"  # kept composed (NFC)
    for seed in ("zero\u200bwidth", "a b", "я" * 65):
        refused = await _rotate(app_api, headers, seed)
        assert refused.status_code in (400, 422), refused.text
        assert "client seed" in refused.text
