"""`CROUPIER_BOT_API_URL`: the Bot API server the bot calls (Telegram's own unless set; an
operator's local `telegram-bot-api`, or the end-to-end tests' fake), a URL checked at start,
used by the one place a `Bot` is made (entrypoints.bot.client)."""

from __future__ import annotations

import secrets

import pytest

from entrypoints.bot.client import make_bot
from entrypoints.bot.runtime import TelegramRuntime
from entrypoints.composition.containers import make_bot_container
from entrypoints.composition.endpoints import Endpoints
from entrypoints.settings import Settings, SettingsError, load_settings
from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS

TOKEN = "424242:TEST-TOKEN-NOT-REAL"


def test_the_setting_takes_an_http_url_and_nothing_else():
    chosen = load_settings({"CROUPIER_BOT_API_URL": "http://127.0.0.1:8081"})
    assert chosen.bot_api_url == "http://127.0.0.1:8081"
    assert load_settings({}).bot_api_url is None  # Telegram's own server
    with pytest.raises(SettingsError, match="CROUPIER_BOT_API_URL"):
        load_settings({"CROUPIER_BOT_API_URL": "127.0.0.1:8081"})


def test_a_bot_calls_the_server_it_is_given():
    local = make_bot(TOKEN, "http://127.0.0.1:8081")
    assert local.session.api.api_url(TOKEN, "getMe") == f"http://127.0.0.1:8081/bot{TOKEN}/getMe"
    telegrams = make_bot(TOKEN).session.api.api_url(TOKEN, "getMe")
    assert telegrams.startswith("https://api.telegram.org/bot")


async def test_the_services_bot_is_made_with_the_setting(servers, tmp_path):
    settings = Settings(
        bot_token=TOKEN,
        bot_api_url="http://127.0.0.1:8081/",
        seed_key=secrets.token_bytes(32),
        pii_keys=TEST_PII_KEYS,
        pii_index_key=TEST_PII_INDEX_KEY,
        house_shards=4,
        data_dir=tmp_path,
    )
    container = make_bot_container(
        settings, Endpoints(servers.database_url, servers.redis_url, False, False)
    )
    try:
        runtime = await container.get(TelegramRuntime)
        assert runtime.bot is not None
        assert runtime.bot.session.api.api_url(TOKEN, "sendMessage") == (
            f"http://127.0.0.1:8081/bot{TOKEN}/sendMessage"
        )
    finally:
        await container.close()
