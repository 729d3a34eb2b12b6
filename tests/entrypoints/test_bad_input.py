"""Bad input at the doors is a clear, short refusal: never INTERNAL, never a 500, never an echo
of megabytes (issue 18, "bad input is a clear refusal")."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest

from croupier.v1 import betting_pb2
from tests.entrypoints.grpc_calls import rpc_error, xtr

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

HUGE_NUMBERS = ["1e999999999", "9" * 100_000, "Infinity", "NaN"]


@pytest.mark.parametrize("target", HUGE_NUMBERS)
async def test_a_huge_game_target_is_invalid_argument_not_internal(betting, md, player, target):
    request = betting_pb2.PlaceBetRequest(
        player_id=await player(1000),
        bet_id=str(uuid.uuid4()),
        game="limbo",
        stake=xtr(10),
        params={"target": target},
    )
    refused = await rpc_error(betting.PlaceBet(request, metadata=md))
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(refused.details() or "") < 300


@pytest.mark.parametrize("edge", HUGE_NUMBERS)
async def test_a_huge_house_edge_is_a_400_not_a_500(api, staff, edge):
    operator = await staff("operator")
    refused = await api.patch("/api/v1/games/dice", headers=operator, json={"house_edge": edge})
    assert refused.status_code == 400, refused.text
    assert len(refused.content) < 2000


MEGABYTE = "\x1b[31m" + "g" * 1_000_000


async def test_a_megabyte_game_name_comes_back_as_a_short_excerpt(betting, md, player):
    request = betting_pb2.PlaceBetRequest(
        player_id=await player(1000),
        bet_id=str(uuid.uuid4()),
        game=MEGABYTE,
        stake=xtr(10),
        params={"target": "2"},
    )
    refused = await rpc_error(betting.PlaceBet(request, metadata=md))
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    trailers = sum(len(value) for _, value in refused.trailing_metadata() or ())
    assert trailers < 4000
    assert "\\x1b[31mggg" in (refused.details() or "")  # escaped, not a terminal escape


async def test_a_megabyte_currency_comes_back_as_a_short_excerpt(api, staff):
    finance = await staff("finance")
    refused = await api.post(
        "/api/v1/adjustments/",
        headers=finance,
        json={"player_id": 1, "amount": 10, "currency": MEGABYTE, "reason": "x"},
    )
    assert 400 <= refused.status_code < 500
    assert len(refused.content) < 4000


# --- item 4: the 500s and the UNKNOWN -----------------------------------------------------------


async def test_json_nested_a_thousand_deep_is_a_400(api):
    body = '{"init_data": ' + "[" * 1000 + "]" * 1000 + "}"
    refused = await api.post(
        "/api/v1/app/session", content=body, headers={"Content-Type": "application/json"}
    )
    assert refused.status_code == 400, refused.text
    assert len(refused.content) < 2000


@pytest.mark.parametrize("path", ["/app/%00", "/app/a%00b.js", "/app/..%00/x"])
async def test_a_nul_in_a_static_path_is_a_404_not_a_500(api, path):
    refused = await api.get(path)
    assert refused.status_code in (400, 404), refused.text


@pytest.fixture
async def webhook(servers, tmp_path):
    from litestar.testing import AsyncTestClient

    from entrypoints.bot.runtime import TelegramRuntime
    from entrypoints.composition.containers import make_http_container
    from entrypoints.composition.endpoints import Endpoints
    from entrypoints.http.app import create_app
    from tests.entrypoints.telegram_fakes import FakeTelegram, webhook_settings

    settings = webhook_settings(tmp_path)
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = make_http_container(settings, endpoints)
    runtime = await container.get(TelegramRuntime)
    runtime.bot.session = FakeTelegram()
    async with AsyncTestClient(app=create_app(container)) as client:
        client.runtime = runtime
        yield client


@pytest.mark.parametrize(
    "body",
    [
        '{"update_id": "not a number"}',
        '{"update_id": 1, "message": {"text": 5}}',
        "[1, 2, 3]",
        "not json",
        '{"update_id": 1, "message": ' + "[" * 1000 + "]" * 1000 + "}",
    ],
)
async def test_a_malformed_webhook_update_is_a_400(webhook, body):
    refused = await webhook.post(
        "/telegram/webhook",
        content=body,
        headers={
            "X-Telegram-Bot-Api-Secret-Token": "s3cret-token",
            "Content-Type": "application/json",
        },
    )
    assert refused.status_code == 400, refused.text
    assert len(refused.content) < 2000


@pytest.mark.parametrize(
    "method", ["/croupier.v1.WalletService/Nope", "/croupier.v1.Nope/Nope", "/nope"]
)
async def test_an_unknown_grpc_method_is_unimplemented(grpc_server, md, method):
    async with grpc.aio.insecure_channel(grpc_server.address) as channel:
        call = channel.unary_unary(method)(b"", metadata=md)
        refused = await rpc_error(call)
    assert refused.code() == grpc.StatusCode.UNIMPLEMENTED


# --- webhook registration in the background -----------------------------------------------------


async def test_readiness_reports_the_bot_until_the_webhook_is_registered(webhook):
    before = await webhook.get("/health/ready")
    assert before.status_code == 200  # HTTP serves while Telegram is unreachable
    assert before.json()["bot"] is False
    webhook.runtime.webhook.registered = True
    assert (await webhook.get("/health/ready")).json()["bot"] is True


async def test_the_webhook_is_registered_in_the_background_with_retries(tmp_path):
    from aiogram import Bot, Dispatcher
    from aiogram.exceptions import TelegramNetworkError
    from aiogram.methods import SetWebhook

    from entrypoints.bot.runtime import TelegramRuntime
    from entrypoints.cli.supervisor import register_webhook
    from tests.entrypoints.telegram_fakes import BOT_TOKEN, FakeTelegram, webhook_settings

    class Unreachable(FakeTelegram):
        """Telegram down for the first two attempts."""

        async def make_request(self, bot, method, timeout=None):  # noqa: ASYNC109
            if isinstance(method, SetWebhook) and len(self.of(SetWebhook)) < 2:
                self.calls.append(method)
                raise TelegramNetworkError(method=method, message="unreachable")
            return await super().make_request(bot, method, timeout)

    settings = webhook_settings(tmp_path)
    telegram = Unreachable()
    runtime = TelegramRuntime(Bot(BOT_TOKEN, session=telegram), Dispatcher(), "s3cret-token")
    await asyncio.wait_for(register_webhook(runtime, settings, first_delay_s=0.01), 5)
    assert runtime.webhook.registered
    assert len(telegram.of(SetWebhook)) == 3
