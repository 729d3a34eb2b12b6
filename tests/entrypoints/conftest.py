from __future__ import annotations

import secrets

import grpc
import pytest
from aiogram import Bot

from adapters.clock import SystemClock
from adapters.postgres.api_keys import SqlApiKeyStore
from application.access import Authenticate, IssueApiKey
from application.postings import CreditDepositCommand
from application.registration import RegisterPlayerCommand
from croupier.v1 import betting_pb2_grpc, seamless_pb2_grpc, wallet_pb2_grpc
from domain.money import XTR, Money
from entrypoints.bot.keyboards import Gate
from entrypoints.bot.runtime import TelegramRuntime
from entrypoints.composition.containers import make_bot_container, make_grpc_container
from entrypoints.composition.endpoints import Endpoints
from entrypoints.grpc.server import GrpcServer
from entrypoints.settings import Settings
from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS
from tests.entrypoints.bot_player import _player_id
from tests.entrypoints.fast_hashing import FastPasswordHashing
from tests.entrypoints.telegram_fakes import BOT_TOKEN, FakeTelegram, Player


@pytest.fixture(scope="session")
def grpc_settings(tmp_path_factory) -> Settings:
    return Settings(
        grpc_host="127.0.0.1",
        grpc_port=0,  # any free port
        seed_key=secrets.token_bytes(32),
        pii_keys=TEST_PII_KEYS,
        pii_index_key=TEST_PII_INDEX_KEY,
        house_shards=4,
        data_dir=tmp_path_factory.mktemp("grpc"),
        # The stream tests place hundreds of bets a second for one player, which is what the
        # velocity limit refuses; it has its own server in test_responsible_entrypoints.py.
        velocity_bets_per_second=0,
    )


@pytest.fixture(scope="session")
async def grpc_server(servers, grpc_settings):
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = make_grpc_container(grpc_settings, endpoints)
    server = GrpcServer(container, grpc_settings, await container.get(Authenticate))
    await server.start()
    yield server
    await server.stop()
    await container.close()


GENEROUS_CAPS = dict.fromkeys(("XTR", "TON", "USDT", "USD", "EUR", "BTC"), 10**15)


@pytest.fixture(scope="session")
async def issue_key(engine):
    issue = IssueApiKey(SqlApiKeyStore(engine), SystemClock())

    async def make(
        *services: str,
        name: str | None = None,
        caps: dict[str, int] | None = None,
        daily_caps: dict[str, int] | None = None,
        free_round_budget: dict[str, int] | None = None,
    ) -> str:
        # Caps far above what a test moves, unless a test is about the caps.
        issued = await issue(
            name or f"svc-{secrets.token_hex(4)}",
            frozenset(services),
            caps=GENEROUS_CAPS if caps is None else caps,
            daily_caps=daily_caps,
            free_round_budget=free_round_budget,
        )
        return issued.plaintext

    return make


@pytest.fixture
async def md(issue_key):
    """Call metadata with a key for the wallet, betting, dice and seamless services."""
    return (("x-api-key", await issue_key("wallet", "betting", "dice", "seamless")),)


@pytest.fixture
def wallet(channel):
    return wallet_pb2_grpc.WalletServiceStub(channel)


@pytest.fixture
def betting(channel):
    return betting_pb2_grpc.BettingServiceStub(channel)


@pytest.fixture
def seamless(channel):
    return seamless_pb2_grpc.SeamlessWalletServiceStub(channel)


@pytest.fixture
def player(register, credit, new_telegram_id, fund_bankroll, unique_key):
    """Make a registered player holding `balance` XTR; returns the id as the wire carries it."""

    async def make(balance: int = 1000) -> str:
        await fund_bankroll()
        registration = await register(
            RegisterPlayerCommand(new_telegram_id(), currencies=(XTR,), accept_terms=True)
        )
        if balance:
            await credit(
                CreditDepositCommand(registration.player.id, Money(balance, XTR), unique_key("dep"))
            )
        return str(registration.player.id)

    return make


@pytest.fixture
async def channel(grpc_server):
    async with grpc.aio.insecure_channel(grpc_server.address) as channel:
        yield channel


@pytest.fixture(scope="session")
def http_settings(tmp_path_factory) -> Settings:
    return Settings(
        secret_key=secrets.token_hex(32),
        seed_key=secrets.token_bytes(32),
        pii_keys=TEST_PII_KEYS,
        pii_index_key=TEST_PII_INDEX_KEY,
        house_shards=4,
        data_dir=tmp_path_factory.mktemp("http"),
    )


@pytest.fixture(scope="session")
async def http_container(servers, http_settings):
    from entrypoints.composition.containers import make_http_container

    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = make_http_container(http_settings, endpoints, FastPasswordHashing())
    yield container
    await container.close()


@pytest.fixture(scope="session")
def http_app(servers, http_settings):
    """The Litestar app `api` serves, built once: registering its routes costs about 0.15 s
    of CPU, and 130 tests used to build one each. It has a container of its own (the test
    client runs the app on another event loop than the fixtures'), which the app closes when
    each test's client stops: dishka then forgets everything it made, so the next test's
    requests start from new objects (engine, Redis client, login and its dummy hash) on that
    test's loop, as with an app of its own."""
    from entrypoints.composition.containers import make_http_container
    from entrypoints.http.app import create_app

    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    return create_app(make_http_container(http_settings, endpoints, FastPasswordHashing()))


@pytest.fixture
async def api(http_app):
    """A Litestar test client on the real app, database and Redis; its container's objects are
    the test's own (see `http_app`)."""
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=http_app) as client:
        yield client


@pytest.fixture
async def staff(http_container, api):
    """Make a staff member with a role and return headers carrying their bearer token."""
    from application.staff import Actor, CreateStaff
    from domain.staff import parse_role

    async def make(role: str = "admin", *, username: str | None = None) -> dict[str, str]:
        name = username or f"{role}-{secrets.token_hex(4)}"
        password = "correct horse battery staple"
        async with http_container() as scope:
            create = await scope.get(CreateStaff)
            await create(name, password, parse_role(role), Actor("tests"))
        response = await api.post(
            "/api/v1/auth/login", json={"username": name, "password": password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return make


# --- the Telegram bot: the real Dispatcher, a fake Bot API session ------------------------------


async def bot_runtime(servers, data_dir, *extra, **overrides):
    """The bot's runtime on the test servers (`extra`: providers a test overrides;
    `overrides`: settings, e.g. Crypto Pay's)."""
    settings = Settings(
        bot_token=BOT_TOKEN,
        bot_dice_delay_ms=0,
        seed_key=secrets.token_bytes(32),
        pii_keys=TEST_PII_KEYS,
        pii_index_key=TEST_PII_INDEX_KEY,
        house_shards=4,
        data_dir=data_dir,
        **overrides,
    )
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = make_bot_container(settings, endpoints, *extra)
    return container, await container.get(TelegramRuntime)


@pytest.fixture(scope="module")
async def runtime(servers, tmp_path_factory):
    container, runtime = await bot_runtime(servers, tmp_path_factory.mktemp("bot"))
    yield runtime
    await container.close()


@pytest.fixture
def telegram():
    return FakeTelegram()


@pytest.fixture
def send(runtime, telegram):
    """Feed one update through the bot's Dispatcher, as Telegram would."""
    bot = Bot(BOT_TOKEN, session=telegram)
    # What the container's adapters call through the runtime's bot (refunding a mismatched
    # Stars charge) reaches the same fake, never the network.
    runtime.bot.session = telegram

    async def feed(update):
        await runtime.dispatcher.feed_update(bot, update)

    return feed


@pytest.fixture
async def ready_player(send, telegram, credit, fund_bankroll, engine, unique_key):
    """A player past the 18+ gate with 1000 ⭐ (`balance`), in `language`."""

    async def make(language: str = "en", balance: int = 1000) -> Player:
        await fund_bankroll()
        player = Player(language)
        await send(player.message("/start"))
        await send(player.tap(Gate(accept=True).pack()))
        player_id = await _player_id(engine, player)
        if balance:
            await credit(CreditDepositCommand(player_id, Money(balance, XTR), unique_key("bot")))
        telegram.calls.clear()
        return player

    return make


@pytest.fixture
async def unthrottle(servers):
    """Forget a player's recent taps: a test playing a long session faster than a person
    would is not what the throttle (tested on its own) is for."""
    from redis.asyncio import Redis

    redis = Redis.from_url(servers.redis_url)

    async def forget(player) -> None:
        await redis.delete(f"croupier:bot:throttle:{player.user.id}")

    yield forget
    await redis.aclose()
