"""Responsible gambling and velocity limits at the edges: how gRPC and HTTP report a refusal,
and the admin API's read-only view of a player's settings. The rules themselves are tested on
the use cases in tests/integration/test_responsible_enforcement.py."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.rpc import error_details_pb2

from application.access import Authenticate
from application.responsible import SelfExclude, SetLimit, SetRealityCheck, StartTimeout
from croupier.v1 import (
    betting_pb2,
    betting_pb2_grpc,
    seamless_pb2,
    seamless_pb2_grpc,
    wallet_pb2,
    wallet_pb2_grpc,
)
from domain.money import XTR, Money
from domain.responsible import (
    LimitKind,
    LimitPeriod,
    ResponsibleGamblingRefusal,
    SelfExclusionPeriod,
    TimeoutPeriod,
)
from domain.velocity import VelocityAction, VelocityLimit, VelocityLimited, VelocityUnavailable
from entrypoints.composition.containers import make_grpc_container
from entrypoints.composition.endpoints import Endpoints
from entrypoints.grpc.server import GrpcServer
from entrypoints.http.problems import domain_error_handler
from entrypoints.settings import Settings
from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS
from tests.entrypoints.grpc_calls import rpc_detail, rpc_error, xtr

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


@pytest.fixture
def player(player):
    """The shared `player`, with the id as an int: the use cases here take it so."""

    async def make(balance: int = 1000) -> int:
        return int(await player(balance))

    return make


def _bet(player_id: int, stake: int = 10, bet_id: str | None = None):
    return betting_pb2.PlaceBetRequest(
        player_id=str(player_id),
        bet_id=bet_id or str(uuid.uuid4()),
        game="coin",
        stake=xtr(stake),
        params={"side": "heads"},
    )


def _movement(player_id: int, amount: int, tx: str | None = None, round_id: str | None = None):
    return seamless_pb2.SeamlessRequest(
        player_id=str(player_id),
        amount=xtr(amount),
        transaction_id=tx or uuid.uuid4().hex,
        round_id=round_id or uuid.uuid4().hex,
    )


async def _balance(wallet, md, player_id: int) -> int:
    answer = await wallet.GetBalance(
        wallet_pb2.GetBalanceRequest(player_id=str(player_id)), metadata=md
    )
    return answer.balances[0].amount


# -- gRPC ----------------------------------------------------------------------------------------


async def test_grpc_refuses_an_excluded_players_bets_debits_and_deposits(
    channel, md, player, uow_factory, clock
):
    betting = betting_pb2_grpc.BettingServiceStub(channel)
    seamless = seamless_pb2_grpc.SeamlessWalletServiceStub(channel)
    wallet = wallet_pb2_grpc.WalletServiceStub(channel)
    pid = await player(1000)
    placed = _bet(pid)
    first = await betting.PlaceBet(placed, metadata=md)
    round_id = uuid.uuid4().hex
    await seamless.Debit(_movement(pid, 50, round_id=round_id), metadata=md)
    exclusion = await SelfExclude(uow_factory, clock)(pid, SelfExclusionPeriod.ONE_YEAR)
    balance = await _balance(wallet, md, pid)

    refusals = [
        await rpc_error(betting.PlaceBet(_bet(pid), metadata=md)),
        await rpc_error(betting.PlayInstant(_bet(pid), metadata=md)),
        await rpc_error(seamless.Debit(_movement(pid, 5), metadata=md)),
        await rpc_error(
            wallet.Deposit(
                wallet_pb2.DepositRequest(
                    player_id=str(pid), amount=xtr(100), external_id=uuid.uuid4().hex
                ),
                metadata=md,
            )
        ),
    ]
    for error in refusals:
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "excluded yourself" in error.details()
        info = rpc_detail(error, error_details_pb2.ErrorInfo)
        assert info.reason == "RESPONSIBLE_GAMBLING"
        assert info.metadata["rule"] == "self_excluded"
        assert info.metadata["until"] == exclusion.until.isoformat()
    assert await _balance(wallet, md, pid) == balance

    # A replay answers as before; the open round is still paid.
    again = await betting.PlaceBet(placed, metadata=md)
    assert again.replayed
    assert again.bet == first.bet
    paid = await seamless.Credit(_movement(pid, 80, round_id=round_id), metadata=md)
    assert paid.balance.amount == balance + 80


async def test_grpc_names_the_limit_that_refused(channel, md, player, uow_factory, clock):
    betting = betting_pb2_grpc.BettingServiceStub(channel)
    pid = await player(1000)
    await SetLimit(uow_factory, clock)(pid, LimitKind.WAGER, LimitPeriod.DAY, Money(15, XTR))
    await betting.PlaceBet(_bet(pid, 10), metadata=md)
    error = await rpc_error(betting.PlaceBet(_bet(pid, 6), metadata=md))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    info = rpc_detail(error, error_details_pb2.ErrorInfo)
    assert dict(info.metadata) == {
        "rule": "wager_limit_24h",
        "limit": "15 XTR",
        "remaining": "5 XTR",
    }


@pytest.fixture
async def limited_server(servers, tmp_path):
    """A gRPC server of its own with small velocity limits (the shared one has them off)."""
    settings = Settings(
        grpc_host="127.0.0.1",
        grpc_port=0,
        seed_key=secrets.token_bytes(32),
        pii_keys=TEST_PII_KEYS,
        pii_index_key=TEST_PII_INDEX_KEY,
        house_shards=4,
        data_dir=tmp_path,
        velocity_bets_per_second=2,
        velocity_deposits_per_hour=1,
    )
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = make_grpc_container(settings, endpoints)
    server = GrpcServer(container, settings, await container.get(Authenticate))
    await server.start()
    async with grpc.aio.insecure_channel(server.address) as channel:
        yield channel
    await server.stop()
    await container.close()


async def test_grpc_velocity_refusals_are_resource_exhausted_with_retry_info(
    limited_server, md, player
):
    betting = betting_pb2_grpc.BettingServiceStub(limited_server)
    wallet = wallet_pb2_grpc.WalletServiceStub(limited_server)
    pid = await player(1000)
    await betting.PlaceBet(_bet(pid), metadata=md)
    await betting.PlaceBet(_bet(pid), metadata=md)
    # Two bets in well under a second on one machine; the third in the same second is refused.
    error = await rpc_error(betting.PlaceBet(_bet(pid), metadata=md))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert rpc_detail(error, error_details_pb2.ErrorInfo).reason == "VELOCITY_LIMITED"
    assert rpc_detail(error, error_details_pb2.RetryInfo).retry_delay.seconds == 1

    def deposit(external_id: str):
        return wallet.Deposit(
            wallet_pb2.DepositRequest(player_id=str(pid), amount=xtr(5), external_id=external_id),
            metadata=md,
        )

    first = await deposit("v-1")
    error = await rpc_error(deposit("v-2"))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert 3500 <= rpc_detail(error, error_details_pb2.RetryInfo).retry_delay.seconds <= 3600
    replay = await deposit("v-1")  # the processor's retry of the first: answered
    assert replay.replayed
    assert replay.transaction_id == first.transaction_id


# -- HTTP ----------------------------------------------------------------------------------------


def test_http_reports_a_refusal_as_409_with_the_rule():
    until = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    refusal = ResponsibleGamblingRefusal("timeout", "You are taking a break.", until=until)
    response = domain_error_handler(None, refusal)  # type: ignore[arg-type]
    assert response.status_code == 409
    body = response.content
    assert body["code"] == "responsible_gambling"
    assert body["rule"] == "timeout"
    assert body["until"] == "2030-01-02T03:04:00+00:00"
    assert body["detail"] == "You are taking a break."
    assert body["remaining"] is None

    limit = ResponsibleGamblingRefusal(
        "loss_limit_7d", "over", limit=Money(100, XTR), remaining=Money(7, XTR)
    )
    body = domain_error_handler(None, limit).content  # type: ignore[arg-type]
    assert body["remaining"] == {"amount": 7, "currency": "XTR"}
    assert body["limit"] == {"amount": 100, "currency": "XTR"}


def test_http_reports_velocity_as_429_or_503_with_retry_after():
    bets = VelocityLimit(VelocityAction.BET, 5, timedelta(seconds=1), fail_open=True)
    response = domain_error_handler(None, VelocityLimited(bets, timedelta(milliseconds=300)))  # type: ignore[arg-type]
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.content["code"] == "velocity_limited"
    deposits = VelocityLimit(VelocityAction.DEPOSIT, 5, timedelta(hours=1), fail_open=False)
    response = domain_error_handler(None, VelocityUnavailable(deposits))  # type: ignore[arg-type]
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0


async def test_admin_sees_a_players_settings_but_cannot_change_them(
    api, staff, player, uow_factory, clock
):
    pid = await player(1000)
    await SetLimit(uow_factory, clock)(pid, LimitKind.LOSS, LimitPeriod.WEEK, Money(300, XTR))
    raised = await SetLimit(uow_factory, clock)(
        pid, LimitKind.LOSS, LimitPeriod.WEEK, Money(900, XTR)
    )
    await SetLimit(uow_factory, clock)(pid, LimitKind.DEPOSIT, LimitPeriod.DAY, Money(50, XTR))
    await SetRealityCheck(uow_factory, clock)(pid, 30)
    timeout = await StartTimeout(uow_factory, clock)(pid, TimeoutPeriod.WEEK)
    headers = await staff("support")
    url = f"/api/v1/players/{pid}/responsible-gambling"

    response = await api.get(url, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["player_id"] == pid
    assert body["excluded"] is True
    assert body["self_excluded"] is False
    assert body["has_deposit_limit"] is True
    assert body["exclusion"]["kind"] == "timeout"
    assert datetime.fromisoformat(body["exclusion"]["until"]) == timeout.until
    assert body["exclusion"]["permanent"] is False
    deposit, loss = body["limits"]
    assert (deposit["kind"], deposit["period"], deposit["amount"]) == ("deposit", "24h", 50)
    assert deposit["pending"] is None
    assert (loss["kind"], loss["period"], loss["amount"]) == ("loss", "7d", 300)
    assert loss["pending"]["amount"] == 900
    assert loss["pending"]["removal"] is False
    assert loss["pending"]["confirmable"] is False
    assert datetime.fromisoformat(loss["pending"]["confirmable_at"]) == raised.confirmable_at
    assert body["reality_check"]["interval_minutes"] == 30
    assert body["reality_check"]["due"] is False

    # Staff can read; nothing on this path changes or lifts anything, for any role.
    admin = await staff("admin")
    for method in ("post", "put", "patch", "delete"):
        refused = await getattr(api, method)(url, headers=admin)
        assert refused.status_code == 405, (method, refused.text)
    assert (await api.get(url)).status_code == 401
    missing = await api.get("/api/v1/players/999999999999/responsible-gambling", headers=headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
