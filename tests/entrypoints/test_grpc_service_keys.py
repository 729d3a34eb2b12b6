"""Issue 18, "service API keys have no limits", over a real gRPC socket and the real database:
a key's caps bound a deposit and a seamless credit, an expired key is nobody, a seamless
credit is bounded by its round, and submitting a Telegram dice value is a scope of its own,
audited with the key's name and the value."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from sqlalchemy import text

from adapters.clock import SystemClock
from adapters.postgres.api_keys import SqlApiKeyStore
from application.access import IssueApiKey
from croupier.v1 import betting_pb2, seamless_pb2, wallet_pb2
from domain.seamless import MAX_CREDIT_MULTIPLE
from tests.entrypoints.grpc_calls import rpc_error, rpc_reason, xtr
from tests.written import row_counts

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


def _md(key: str) -> tuple[tuple[str, str], ...]:
    return (("x-api-key", key),)


async def test_a_deposit_over_the_keys_cap_is_refused_and_writes_nothing(
    wallet, issue_key, player, engine
):
    """A wallet key deposited 10^12: now one deposit moves at most the key's cap in its
    currency, and nothing in a currency the key has no cap for."""
    md = _md(await issue_key("wallet", caps={"XTR": 5000}))
    pid = await player(0)
    before = await row_counts(engine)
    for amount, reference in ((10**12, "huge"), (5001, "just-over")):
        error = await rpc_error(
            wallet.Deposit(
                wallet_pb2.DepositRequest(player_id=pid, amount=xtr(amount), external_id=reference),
                metadata=md,
            )
        )
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
        assert rpc_reason(error) == "KEY_NOT_ALLOWED"
        assert "at most 5000" in (error.details() or "")
    uncapped = _md(await issue_key("wallet", caps={"TON": 10}))
    error = await rpc_error(
        wallet.Deposit(
            wallet_pb2.DepositRequest(player_id=pid, amount=xtr(1), external_id="no-cap"),
            metadata=uncapped,
        )
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert await row_counts(engine) == before
    done = await wallet.Deposit(
        wallet_pb2.DepositRequest(player_id=pid, amount=xtr(5000), external_id="at-cap"),
        metadata=md,
    )
    assert done.balance == xtr(5000)


async def test_an_expired_key_is_unauthenticated(wallet, engine):
    issued = await IssueApiKey(SqlApiKeyStore(engine), SystemClock())(
        f"temp-{secrets.token_hex(4)}",
        frozenset({"wallet"}),
        caps={"XTR": 10},
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    async with engine.begin() as conn:  # a day later, without waiting a day
        await conn.execute(
            text("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE key_id = :k"),
            {"k": issued.key.key_id},
        )
    error = await rpc_error(
        wallet.GetBalance(
            wallet_pb2.GetBalanceRequest(player_id="1"), metadata=_md(issued.plaintext)
        )
    )
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "expired" in (error.details() or "")


async def test_a_seamless_credit_is_bounded_by_its_round_and_the_keys_cap(
    seamless, issue_key, player, engine
):
    """A seamless key credited a round never debited, and a million against a debit of one."""
    md = _md(await issue_key("seamless", caps={"XTR": 10**9}))
    pid = await player(1000)

    def req(tx: str, amount: int, round_id: str) -> seamless_pb2.SeamlessRequest:
        return seamless_pb2.SeamlessRequest(
            player_id=pid, amount=xtr(amount), transaction_id=tx, round_id=round_id, game_id="g"
        )

    before = await row_counts(engine)
    undebited = await rpc_error(seamless.Credit(req("c0", 100, "never-debited"), metadata=md))
    assert undebited.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "has no debit" in (undebited.details() or "")
    assert await row_counts(engine) == before

    await seamless.Debit(req("d1", 1, "one"), metadata=md)
    million = await rpc_error(seamless.Credit(req("c1", 1_000_000, "one"), metadata=md))
    assert million.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rpc_reason(million) == "LIMIT_EXCEEDED"
    paid = await seamless.Credit(req("c1b", MAX_CREDIT_MULTIPLE, "one"), metadata=md)
    assert paid.balance == xtr(999 + MAX_CREDIT_MULTIPLE)

    await seamless.Debit(req("d2", 10, "undone"), metadata=md)
    await seamless.Rollback(
        seamless_pb2.RollbackRequest(
            player_id=pid, transaction_id="d2", round_id="undone", currency="XTR"
        ),
        metadata=md,
    )
    after_rollback = await rpc_error(seamless.Credit(req("c2", 5, "undone"), metadata=md))
    assert after_rollback.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "rolled back" in (after_rollback.details() or "")

    small = _md(await issue_key("seamless", caps={"XTR": 50}))
    await seamless.Debit(req("d3", 10, "capped"), metadata=small)
    capped = await rpc_error(seamless.Credit(req("c3", 51, "capped"), metadata=small))
    assert capped.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_submitting_a_dice_value_needs_the_dice_scope_and_is_audited(
    betting, issue_key, player, engine
):
    """A betting key settled a Telegram dice bet on a value of its choosing: now placing bets
    and telling us what the dice showed are separate grants, and every value a key submits is
    in the audit log with the key's name."""
    betting_only = _md(await issue_key("betting"))
    dice_name = f"dice-{secrets.token_hex(4)}"
    dice = _md(await issue_key("dice", name=dice_name))
    pid = await player(1000)
    bet_id = str(uuid.uuid4())
    await betting.PlaceBet(
        betting_pb2.PlaceBetRequest(
            player_id=pid, bet_id=bet_id, game="tg_dice", stake=xtr(100), params={"bet": "high"}
        ),
        metadata=betting_only,
    )
    settle = betting_pb2.SettleBetRequest(
        bet_id=bet_id, dice=betting_pb2.DiceThrow(chat_id=1, message_id=4242, value=6)
    )
    refused = await rpc_error(betting.SettleBet(settle, metadata=betting_only))
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED

    async def one(command: betting_pb2.BetCommand):
        yield command

    results = [
        r
        async for r in betting.StreamBets(
            one(betting_pb2.BetCommand(correlation_id="s", settle=settle)), metadata=betting_only
        )
    ]
    assert [r.error.code for r in results] == [grpc.StatusCode.PERMISSION_DENIED.value[0]]
    bet = await betting.GetBet(betting_pb2.GetBetRequest(bet_id=bet_id), metadata=betting_only)
    assert bet.bet.state == betting_pb2.BET_STATE_PLACED

    settled = await betting.SettleBet(settle, metadata=dice)
    assert settled.bet.state == betting_pb2.BET_STATE_WON
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT actor, after FROM audit_log WHERE action = 'dice_submitted'"
                    " AND subject = :s"
                ),
                {"s": f"bet:{bet_id}"},
            )
        ).all()
    assert [(r.actor, r.after["value"]) for r in rows] == [(f"service:{dice_name}", 6)]


async def test_a_keys_deposits_are_bounded_per_day_even_when_concurrent(
    wallet, issue_key, player, engine
):
    """The day's total per key and currency is counted in the deposit's own transaction, on a
    row lock: ten concurrent deposits of 300 against a daily cap of 1000 credit three."""
    md = _md(await issue_key("wallet", caps={"XTR": 300}, daily_caps={"XTR": 1000}))
    pid = await player(0)

    async def deposit(i: int) -> grpc.StatusCode:
        request = wallet_pb2.DepositRequest(player_id=pid, amount=xtr(300), external_id=f"d{i}")
        try:
            await wallet.Deposit(request, metadata=md)
        except grpc.aio.AioRpcError as error:
            return error.code()
        return grpc.StatusCode.OK

    codes = await asyncio.gather(*(deposit(i) for i in range(10)))
    assert sorted(c.name for c in codes) == ["OK"] * 3 + ["PERMISSION_DENIED"] * 7
    balance = await wallet.GetBalance(wallet_pb2.GetBalanceRequest(player_id=pid), metadata=md)
    assert list(balance.balances) == [xtr(900)]


async def test_a_declared_free_round_is_paid_within_the_keys_budget(seamless, issue_key, player):
    md = _md(await issue_key("seamless", free_round_budget={"XTR": 100}))
    pid = await player(0)

    def free(tx: str, amount: int, round_id: str) -> seamless_pb2.SeamlessRequest:
        return seamless_pb2.SeamlessRequest(
            player_id=pid, amount=xtr(amount), transaction_id=tx, round_id=round_id, free_round=True
        )

    assert (await seamless.Credit(free("f1", 70, "fr1"), metadata=md)).balance == xtr(70)
    over = await rpc_error(seamless.Credit(free("f2", 31, "fr2"), metadata=md))
    assert over.code() == grpc.StatusCode.PERMISSION_DENIED
    no_budget = _md(await issue_key("seamless"))
    refused = await rpc_error(seamless.Credit(free("f3", 1, "fr3"), metadata=no_budget))
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
    assert (await seamless.Credit(free("f4", 30, "fr4"), metadata=md)).balance == xtr(100)
