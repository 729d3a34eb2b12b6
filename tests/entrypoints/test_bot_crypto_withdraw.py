"""A USDT withdrawal through the bot while Crypto Pay pays USDT (the real Dispatcher, a fake
Bot API, the fake Crypto Pay as the configured provider): Crypto Pay's `transfer` pays the
player's own Telegram account in @CryptoBot, so the flow asks for no address: the amount (typed
or a button), then the confirm screen says where it goes, then the receipt. Without Crypto
Pay the flow still asks for an address (tests/entrypoints/test_bot_withdraw.py). Transcripts:
.croupier/test/transcripts/bot-crypto-withdraw-{en,ru}.txt (copied to docs/transcripts/)."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from application.postings import AdjustBalanceCommand
from domain.money import TON, USDT, Money
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Menu
from tests.entrypoints.bot_player import _player_id
from tests.entrypoints.conftest import bot_runtime
from tests.entrypoints.test_bot_withdraw import Chat
from tests.fake_crypto_pay_server import FakeCryptoPayServer

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


@pytest.fixture(scope="module")
async def provider():
    server = await FakeCryptoPayServer().start()
    yield server
    await server.stop()


@pytest.fixture(scope="module")
async def runtime(servers, tmp_path_factory, provider):
    """The bot of this module: Crypto Pay on (USDT and TON), against the fake provider."""
    container, runtime = await bot_runtime(
        servers,
        tmp_path_factory.mktemp("bot-crypto-withdraw"),
        crypto_pay_token=provider.token,
        crypto_pay_host=provider.url,
        crypto_pay_timeout_s=0.5,
    )
    yield runtime
    await container.close()


@pytest.fixture
async def redis(servers):
    client = Redis.from_url(servers.redis_url)
    yield client
    await client.aclose()


async def _withdrawals(engine, player_id: int) -> list[tuple[str, int, str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT currency, amount, state, destination_sealed IS NOT NULL AS sealed"
                " FROM withdrawals WHERE player_id = :p ORDER BY requested_at"
            ),
            {"p": player_id},
        )
        return [(r.currency, r.amount, r.state, r.sealed) for r in rows]


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_usdt_withdrawal_goes_to_the_players_cryptobot_without_an_address(
    send, telegram, ready_player, engine, adjust, unique_key, redis, language
):
    t = Translator(language)
    player = await ready_player(language, balance=0)
    player_id = await _player_id(engine, player)
    for money in (Money(20_000_000, USDT), Money(3 * 10**9, TON)):
        await adjust(AdjustBalanceCommand(player_id, money, "prize", "ops", unique_key("c")))
    telegram.calls.clear()
    talk = Chat(send, telegram, player, redis)

    await talk.tap("🏧", Menu(action="withdraw").pack())
    await talk.press("20 USDT")
    await talk.press(t("withdraw_flow.type_amount"))
    await talk.say("12.5")
    check = talk.shown().text
    # No address asked: the confirm screen at once, saying where it goes.
    assert t("withdraw_flow.destination.USDT") not in check
    assert check == (
        t("withdraw_flow.check", amount="12.5 USDT", destination="@CryptoBot")
        + "\n\n"
        + t("withdraw_flow.to_cryptobot")
    )
    await talk.press(t("withdraw_flow.confirm"))
    receipt = t("withdraw.requested", amount="12.5 USDT", destination="@CryptoBot")
    assert any(line.startswith(f"< {receipt}") for line in talk.lines)
    assert await _withdrawals(engine, player_id) == [("USDT", 12_500_000, "requested", True)]

    # TON by a button: the same, no TON address asked.
    await talk.press(t("menu.back"))
    await talk.press(t("menu.withdraw"))
    await talk.press("3 TON")
    await talk.press("1 TON")
    assert talk.shown().text.endswith(t("withdraw_flow.to_cryptobot"))
    assert "UQ" not in talk.shown().text
    await talk.press(t("withdraw_flow.confirm"))
    assert [w[:3] for w in await _withdrawals(engine, player_id)] == [
        ("USDT", 12_500_000, "requested"),
        ("TON", 10**9, "requested"),
    ]
    talk.write(f"bot-crypto-withdraw-{language}.txt")
