"""The Mini App's consent to the big-wins feed (PUT /api/v1/app/notifications, issue 23) when
the operator runs one (CROUPIER_BIG_WINS_CHANNEL set): listed off for a new player, turned on
and off again, each answer read back; another player's consent is their own. Without a
channel: test_http_miniapp_notifications.py."""

from __future__ import annotations

import secrets

import pytest

from entrypoints.composition.endpoints import Endpoints
from entrypoints.settings import Settings
from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS
from tests.entrypoints.test_http_miniapp import BOT_TOKEN, init_data, session  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

PATH = "/api/v1/app/notifications"


@pytest.fixture
async def app_api(servers, tmp_path):
    """The Mini App's API with a big-wins channel (`session` makes its players here)."""
    from litestar.testing import AsyncTestClient

    from entrypoints.composition.containers import make_http_container
    from entrypoints.http.app import create_app

    settings = Settings(
        bot_token=BOT_TOKEN,
        secret_key=secrets.token_hex(32),
        seed_key=secrets.token_bytes(32),
        pii_keys=TEST_PII_KEYS,
        pii_index_key=TEST_PII_INDEX_KEY,
        house_shards=4,
        data_dir=tmp_path,
        big_wins_channel="@croupier_wins",
    )
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    async with AsyncTestClient(app=create_app(make_http_container(settings, endpoints))) as client:
        yield client


def _on(answer) -> dict[str, bool]:
    return {t["topic"]: t["on"] for t in answer.json()["topics"]}


async def test_a_player_consents_to_the_feed_and_withdraws_it(app_api, session):  # noqa: F811
    headers = await session()
    first = await app_api.get(PATH, headers=headers)
    assert first.status_code == 200, first.text
    assert _on(first)["big_wins"] is False  # off until the player turns it on
    assert _on(first)["deposits"] is True

    on = await app_api.put(PATH, json={"topic": "big_wins", "on": True}, headers=headers)
    assert on.status_code == 200, on.text
    assert _on(on)["big_wins"] is True
    assert _on(await app_api.get(PATH, headers=headers))["big_wins"] is True
    assert _on(await app_api.get(PATH, headers=await session()))["big_wins"] is False

    off = await app_api.put(PATH, json={"topic": "big_wins", "on": False}, headers=headers)
    assert _on(off)["big_wins"] is False
    assert _on(await app_api.get(PATH, headers=headers))["big_wins"] is False
