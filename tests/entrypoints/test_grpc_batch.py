"""BettingService.PlaceBatch over a real socket: one result per command in the commands' order,
each answered as StreamBets answers it; the place commands placed together; the batch's bound;
and what a stream or a batch opens of the dishka container (once, not per command)."""

from __future__ import annotations

import uuid

import grpc
import pytest
from dishka import AsyncContainer
from sqlalchemy import text

from croupier.v1 import betting_pb2, wallet_pb2
from entrypoints.grpc.betting import BATCH_LIMIT
from tests.entrypoints.grpc_calls import bad_fields, rpc_error, xtr

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


def _place(cid: str, pid: str, stake: int = 10, *, game: str = "coin", bet_id: str = ""):
    params = {"side": "heads"} if game == "coin" else {"bet": "hit"}
    return betting_pb2.BetCommand(
        correlation_id=cid,
        place=betting_pb2.PlaceBetRequest(
            player_id=pid,
            bet_id=bet_id or str(uuid.uuid4()),
            game=game,
            stake=xtr(stake),
            params=params,
        ),
    )


async def test_a_batch_answers_every_command_in_order_as_a_stream_would(
    betting, wallet, md, player
):
    rich, poor = await player(1000), await player(15)
    open_bet = str(uuid.uuid4())
    await betting.PlaceBet(
        betting_pb2.PlaceBetRequest(player_id=rich, bet_id=open_bet, game="tg_slot", stake=xtr(10)),
        metadata=md,
    )
    repeated = str(uuid.uuid4())
    commands = [
        _place("a", rich),
        _place("poor-1", poor, game="tg_darts"),
        betting_pb2.BetCommand(
            correlation_id="void",
            void=betting_pb2.VoidBetRequest(bet_id=open_bet, reason="lost dice"),
        ),
        _place("poor-2", poor, game="tg_darts"),
        _place("repeat-1", rich, 20, bet_id=repeated),
        _place("bad-id", "not a player"),
        betting_pb2.BetCommand(correlation_id="empty"),
        _place("repeat-2", rich, 20, bet_id=repeated),
        betting_pb2.BetCommand(
            correlation_id="unknown-void",
            void=betting_pb2.VoidBetRequest(bet_id=str(uuid.uuid4()), reason="x"),
        ),
    ]
    answer = await betting.PlaceBatch(betting_pb2.BetBatch(commands=commands), metadata=md)

    assert [r.correlation_id for r in answer.results] == [c.correlation_id for c in commands]
    results = {r.correlation_id: r for r in answer.results}
    kinds = {cid: r.WhichOneof("result") for cid, r in results.items()}
    assert kinds["a"] == kinds["void"] == kinds["repeat-1"] == kinds["repeat-2"] == "ok"
    assert results["void"].ok.bet.state == betting_pb2.BET_STATE_VOIDED
    # 15 XTR hold one of the two 10s.
    assert sorted([kinds["poor-1"], kinds["poor-2"]]) == ["error", "ok"]
    refused = next(results[c] for c in ("poor-1", "poor-2") if kinds[c] == "error")
    assert refused.error.code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    assert refused.error.detail.reason == "insufficient_funds"
    assert results["repeat-1"].ok.bet == results["repeat-2"].ok.bet
    assert [results["repeat-1"].ok.replayed, results["repeat-2"].ok.replayed].count(True) == 1
    bad = results["bad-id"].error
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert [v.field for v in bad.detail.field_violations] == ["player_id"]
    assert results["empty"].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert results["unknown-void"].error.code == grpc.StatusCode.NOT_FOUND.value[0]

    # The balance is what the results say: the void gave back 10, the bets moved the rest.
    net = 10 + sum(
        results[c].ok.bet.payout.amount - results[c].ok.bet.stake.amount for c in ("a", "repeat-1")
    )
    balance = await wallet.GetBalance(wallet_pb2.GetBalanceRequest(player_id=rich), metadata=md)
    assert list(balance.balances) == [xtr(1000 - 10 + net)]


async def test_the_place_commands_of_a_batch_share_one_transaction(betting, md, player, engine):
    """Queued together before any runs: the first does not go alone while the rest wait."""
    players = [await player(100) for _ in range(10)]
    commands = [_place(str(i), pid) for i, pid in enumerate(players)]
    answer = await betting.PlaceBatch(betting_pb2.BetBatch(commands=commands), metadata=md)
    assert all(r.HasField("ok") for r in answer.results)
    ids = [r.ok.bet.bet_id for r in answer.results]
    async with engine.connect() as conn:
        transactions = (
            await conn.execute(
                text(
                    "SELECT count(DISTINCT xmin::text) FROM bets"
                    " WHERE id = ANY(CAST(:ids AS uuid[]))"
                ),
                {"ids": ids},
            )
        ).scalar_one()
    assert transactions == 1


async def test_an_empty_batch_answers_empty_and_an_oversized_one_is_refused(
    betting, md, player, engine
):
    empty = await betting.PlaceBatch(betting_pb2.BetBatch(), metadata=md)
    assert list(empty.results) == []

    pid = await player(100_000)
    commands = [_place(str(i), pid) for i in range(BATCH_LIMIT + 1)]
    error = await rpc_error(
        betting.PlaceBatch(betting_pb2.BetBatch(commands=commands), metadata=md)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(error) == ["commands"]
    assert len(error.details() or "") < 200
    async with engine.connect() as conn:
        placed = (
            await conn.execute(
                text("SELECT count(*) FROM bets WHERE player_id = :pid"), {"pid": int(pid)}
            )
        ).scalar_one()
    assert placed == 0  # refused whole: nothing placed


async def test_a_batch_has_the_scopes_of_the_other_betting_rpcs(betting, issue_key, player):
    pid = await player(100)
    wallet_only = (("x-api-key", await issue_key("wallet")),)
    error = await rpc_error(
        betting.PlaceBatch(betting_pb2.BetBatch(commands=[_place("p", pid)]), metadata=wallet_only)
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED

    # Settling needs the dice scope, in a batch as in a stream.
    betting_only = (("x-api-key", await issue_key("betting")),)
    settle = betting_pb2.SettleBetRequest(
        bet_id=str(uuid.uuid4()), dice=betting_pb2.DiceThrow(chat_id=1, message_id=2, value=3)
    )
    answer = await betting.PlaceBatch(
        betting_pb2.BetBatch(
            commands=[betting_pb2.BetCommand(correlation_id="s", settle=settle), _place("p", pid)]
        ),
        metadata=betting_only,
    )
    assert answer.results[0].error.code == grpc.StatusCode.PERMISSION_DENIED.value[0]
    assert answer.results[1].HasField("ok")


@pytest.fixture
def scopes_opened(monkeypatch) -> list[object]:
    """Every dishka scope entered from here on (any container)."""
    opened: list[object] = []
    enter = AsyncContainer.__call__

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(self)
        return enter(self, *args, **kwargs)

    monkeypatch.setattr(AsyncContainer, "__call__", counting)
    return opened


async def test_placing_opens_no_scope_and_a_stream_or_batch_one_at_most(
    betting, md, player, scopes_opened
):
    pid = await player(1000)
    await betting.PlayInstant(_place("x", pid).place, metadata=md)
    await betting.PlaceBet(_place("y", pid).place, metadata=md)
    assert scopes_opened == []

    def voids(n: int) -> list[betting_pb2.BetCommand]:
        unknown = betting_pb2.VoidBetRequest(bet_id=str(uuid.uuid4()), reason="x")
        return [betting_pb2.BetCommand(correlation_id=f"v{i}", void=unknown) for i in range(n)]

    places = [_place(f"p{i}", pid) for i in range(4)]
    await betting.PlaceBatch(betting_pb2.BetBatch(commands=places), metadata=md)
    results = [r async for r in betting.StreamBets(iter(places[:2]), metadata=md)]
    assert len(results) == 2
    assert scopes_opened == []  # bets only: nothing to resolve per call

    answer = await betting.PlaceBatch(betting_pb2.BetBatch(commands=voids(6)), metadata=md)
    assert len(answer.results) == 6
    assert len(scopes_opened) == 1
    results = [r async for r in betting.StreamBets(iter(voids(6)), metadata=md)]
    assert len(results) == 6
    assert len(scopes_opened) == 2  # one per stream, not one per command
