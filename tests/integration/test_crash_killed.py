"""A crash round whose service is SIGKILLed mid-round (issue 21): the real `croupier run`, which
drives the rounds, killed after a cash-out and before the crash, started again after the crash
time. The restarted driver finishes the round by the recovery rule (docs/fairness.md, Crash):
the recorded cash-out stands, the reached target pays, the rest are refunded; the round records
its real crash point and hash; and `croupier reconcile` is clean."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import uuid

import grpc
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from adapters.postgres.crash_chain import commit_chain, set_salt
from croupier.v1 import crash_pb2, crash_pb2_grpc, wallet_pb2, wallet_pb2_grpc
from domain.crash import crash_point, first_link, ms_to_reach
from entrypoints.cli import main
from tests.integration.test_service_killed import (  # the service harness and its database
    CHANNEL_OPTIONS,
    _scalar,
    _xtr,
    database,
    events_redis,
    service,
    service_env,
)

pytestmark = pytest.mark.integration

SALT = "killed-crash"
__all__ = ["database", "events_redis", "service"]  # fixtures, used by name


async def _round(crash, md, phase: int, seconds: float = 30.0) -> crash_pb2.CrashRound:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        try:
            found = await crash.GetRound(crash_pb2.GetRoundRequest(), metadata=md, timeout=5)
            if found.phase == phase:
                return found
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:  # no round yet
                raise
        await asyncio.sleep(0.02)
    raise AssertionError(f"no round reached phase {phase}")


async def test_a_round_killed_mid_flight_is_finished_by_the_rule_on_restart(
    service, database, events_redis, tmp_path
):
    url, engine, seed_key, players, api_key = database
    redis_url, _ = events_redis
    for i in itertools.count(secrets.randbelow(10**12)):
        secret = f"killed-crash-{i:012d}".encode()
        point = crash_point(first_link(secret), SALT)
        if 140 <= point <= 160:  # crashes 5.6 to 7.9 s after its start
            break
    async with engine.begin() as conn:
        committed = await commit_chain(conn, 1, secret=secret)  # one round: no other opens
        await set_salt(conn, committed.id, SALT)
    env = service_env(url, seed_key, redis_url, tmp_path) | {
        # a window no loaded machine runs out under the four bets (3 s could): closed by hand
        "CROUPIER_CRASH_BETTING_SECONDS": "120",
        "CROUPIER_CRASH_WATCH_MS": "20",  # the betting end is moved by hand below
        "CROUPIER_CRASH_BANKROLL_SHARE": "1",
    }
    md = (("x-api-key", api_key),)
    await service.start(env)
    channel = grpc.aio.insecure_channel(service.address, options=CHANNEL_OPTIONS)
    try:
        wallet = wallet_pb2_grpc.WalletServiceStub(channel)
        crash = crash_pb2_grpc.CrashServiceStub(channel)
        for player in players[:4]:
            await wallet.Deposit(
                wallet_pb2.DepositRequest(
                    player_id=player, amount=_xtr(1000), external_id=f"crash-{player}"
                ),
                metadata=md,
            )
        betting = await _round(crash, md, crash_pb2.ROUND_PHASE_BETTING)
        targets = ["1.05", "", "", "50"]  # reached; cashed out; riding; not reached
        bets = {}
        for player, target in zip(players[:4], targets, strict=True):
            request = crash_pb2.CrashBetRequest(
                player_id=player, bet_id=str(uuid.uuid4()), stake=_xtr(100), auto_cash_out=target
            )
            placed = await crash.PlaceBet(request, metadata=md)
            assert placed.round.round_id == betting.round_id
            bets[player] = request.bet_id
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE crash_rounds SET betting_ends_at = now() WHERE phase = 'betting'")
            )
        running = await _round(crash, md, crash_pb2.ROUND_PHASE_RUNNING)
        cashed = await crash.CashOut(
            crash_pb2.CashOutRequest(player_id=players[1], bet_id=bets[players[1]]), metadata=md
        )
        multiplier = round(float(cashed.cashed_out_at) * 100)
        assert multiplier < point
        await service.kill()  # the driver dies mid-round, before the crash
        assert (
            await _scalar(
                engine, "SELECT phase FROM crash_rounds WHERE id = :r", r=running.round_id
            )
            == "running"
        )
        await asyncio.sleep(ms_to_reach(point) / 1000)  # past its crash time, with no driver
        await service.start(env)

        async def settled() -> bool:
            phase = await _scalar(
                engine, "SELECT phase FROM crash_rounds WHERE id = :r", r=running.round_id
            )
            return phase == "crashed"

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while not await settled():
            assert loop.time() < deadline, "the restarted service did not finish the round"
            await asyncio.sleep(0.05)
        crashed = await crash.GetRound(
            crash_pb2.GetRoundRequest(round_id=running.round_id), metadata=md
        )
        assert round(float(crashed.crash_point) * 100) == point
        assert crashed.round_hash == first_link(secret)
        assert await _scalar(
            engine, "SELECT interrupted FROM crash_rounds WHERE id = :r", r=running.round_id
        )

        async def balance(player: str) -> int:
            reply = await wallet.GetBalance(
                wallet_pb2.GetBalanceRequest(player_id=player), metadata=md
            )
            return next(b.amount for b in reply.balances if b.currency == "XTR")

        assert await balance(players[0]) == 1000 - 100 + 105  # its target was reached
        assert await balance(players[1]) == 1000 - 100 + multiplier  # the cash-out stands
        assert await balance(players[2]) == 1000  # riding: refunded
        assert await balance(players[3]) == 1000  # its target not reached: refunded

        result = await asyncio.to_thread(CliRunner().invoke, main, ["reconcile"], env=env)
        assert result.exit_code == 0, result.output
    except BaseException:
        print(service.output())  # shown by pytest with the failure
        raise
    finally:
        await channel.close()
