"""CrashService over a real socket: a round bet, its refusals as proper statuses, a cash-out,
GetRound before and after the crash, and the stream of a round's changes."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import uuid

import grpc
import pytest
from sqlalchemy import text

from adapters.postgres.crash import SqlLeaderLock
from adapters.postgres.crash_chain import commit_chain, set_salt
from application.crash import CrashDriver, CrashPolicy, SettleCrashedRound
from croupier.v1 import crash_pb2, crash_pb2_grpc
from domain.crash import crash_point, first_link
from tests.crash_cleanup import finish_every_round
from tests.entrypoints.grpc_calls import rpc_error, xtr

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

SALT = "grpc-crash"
# A betting window no loaded machine runs out under the test's calls (a 1 s one could): the
# test closes it by hand when its bets are in.
FAST = CrashPolicy(betting_seconds=120, watch=0.02, lock_poll=0.05)


@pytest.fixture
def crash(channel):
    return crash_pb2_grpc.CrashServiceStub(channel)


@pytest.fixture
async def driver(engine, uow_factory, clock, ids, house):
    """A one-round chain crashing at 1.15x-1.25x (2.3-3.7 s after its start), and its driver."""
    for i in itertools.count(secrets.randbelow(10**12)):
        secret = f"grpc-crash-{i:012d}".encode()
        if 115 <= crash_point(first_link(secret), SALT) <= 125:
            break
    settle = SettleCrashedRound(uow_factory, clock, ids, house)
    await finish_every_round(uow_factory, settle)  # rounds other tests left
    async with engine.begin() as conn:
        committed = await commit_chain(conn, 1, secret=secret)
        await set_salt(conn, committed.id, SALT)
    return CrashDriver(uow_factory, clock, SqlLeaderLock(engine), settle, FAST)


async def _drive(driver: CrashDriver, until: asyncio.Event) -> None:
    while not until.is_set():
        wait = await driver.step()
        if wait > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(until.wait(), wait)


async def test_a_round_over_grpc(crash, md, driver, funded_player, engine):
    player, other = await funded_player(1000), await funded_player(1000)
    await driver.step()  # the round opens
    opened = await crash.GetRound(crash_pb2.GetRoundRequest(), metadata=md)
    assert opened.phase == crash_pb2.ROUND_PHASE_BETTING
    assert opened.round_hash == ""
    assert opened.crash_point == ""
    events: list[crash_pb2.RoundEvent] = []

    async def listen() -> None:
        async for event in crash.StreamRounds(crash_pb2.StreamRoundsRequest(), metadata=md):
            if event.round.round_id == opened.round_id:
                events.append(event)
                if event.kind == crash_pb2.ROUND_EVENT_KIND_CRASHED:
                    return

    listening = asyncio.create_task(listen())
    bet_id = str(uuid.uuid4())
    request = crash_pb2.CrashBetRequest(player_id=str(player.id), bet_id=bet_id, stake=xtr(100))
    placed = await crash.PlaceBet(request, metadata=md)
    assert placed.balance.amount == 900
    assert placed.round.round_id == opened.round_id
    assert (await crash.PlaceBet(request, metadata=md)).replayed
    twice = await rpc_error(
        crash.PlaceBet(
            crash_pb2.CrashBetRequest(player_id=str(player.id), bet_id=str(uuid.uuid4()),
                                      stake=xtr(5)),
            metadata=md,
        )
    )  # fmt: skip
    assert twice.code() == grpc.StatusCode.FAILED_PRECONDITION
    bad = await rpc_error(
        crash.PlaceBet(
            crash_pb2.CrashBetRequest(player_id=str(other.id), bet_id=str(uuid.uuid4()),
                                      stake=xtr(5), auto_cash_out="0.5"),
            metadata=md,
        )
    )  # fmt: skip
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    cash_out = crash_pb2.CashOutRequest(player_id=str(player.id), bet_id=bet_id)
    early = await rpc_error(crash.CashOut(cash_out, metadata=md))
    assert early.code() == grpc.StatusCode.FAILED_PRECONDITION
    unknown = await rpc_error(
        crash.CashOut(
            crash_pb2.CashOutRequest(player_id=str(player.id), bet_id=str(uuid.uuid4())),
            metadata=md,
        )
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND

    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE crash_rounds SET betting_ends_at = now() WHERE phase = 'betting'")
        )
    done = asyncio.Event()
    driving = asyncio.create_task(_drive(driver, done))
    for _ in range(1500):  # 30 s at most
        now = await crash.GetRound(crash_pb2.GetRoundRequest(round_id=opened.round_id), metadata=md)
        if now.phase == crash_pb2.ROUND_PHASE_RUNNING:
            break
        await asyncio.sleep(0.02)
    cashed = await crash.CashOut(cash_out, metadata=md)
    assert cashed.cashed_out_at.startswith("1.")
    await asyncio.wait_for(listening, 15)
    done.set()
    await driving
    crashed = await crash.GetRound(crash_pb2.GetRoundRequest(round_id=opened.round_id), metadata=md)
    assert crashed.phase == crash_pb2.ROUND_PHASE_CRASHED
    assert len(crashed.round_hash) == 64
    kinds = [e.kind for e in events]
    assert kinds[-1] == crash_pb2.ROUND_EVENT_KIND_CRASHED
    assert crash_pb2.ROUND_EVENT_KIND_STARTED in kinds
    cash_outs = [e for e in events if e.kind == crash_pb2.ROUND_EVENT_KIND_CASHED_OUT]
    assert [(e.bet_id, e.multiplier) for e in cash_outs] == [(bet_id, cashed.cashed_out_at)]
    assert events[-1].round.round_hash == crashed.round_hash


async def test_a_key_without_the_betting_scope_is_refused(crash, issue_key):
    md = (("x-api-key", await issue_key("wallet")),)
    error = await rpc_error(crash.GetRound(crash_pb2.GetRoundRequest(), metadata=md))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
