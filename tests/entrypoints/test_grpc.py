"""The gRPC API over a real socket, with the generated client, against the real database."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from sqlalchemy import text

from application.player_admin import BlockPlayer
from application.registration import RegisterPlayerCommand
from application.staff import Actor
from croupier.v1 import (
    betting_pb2,
    betting_pb2_grpc,
    common_pb2,
    seamless_pb2,
    wallet_pb2,
)
from domain.money import XTR
from tests.entrypoints.grpc_calls import bad_fields, rpc_error, rpc_info, rpc_reason, xtr
from tests.written import row_counts

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


# --- health, reflection, authentication ------------------------------------------------------


async def test_health_and_reflection_answer_without_a_key(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "croupier.v1.BettingService"):
        reply = await health.Check(health_pb2.HealthCheckRequest(service=service))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")])
    )
    names = set()
    async for response in responses:
        names |= {s.name for s in response.list_services_response.service}
    assert {
        "croupier.v1.WalletService",
        "croupier.v1.BettingService",
        "croupier.v1.SeamlessWalletService",
        "grpc.health.v1.Health",
    } <= names


async def test_calls_without_a_valid_key_are_unauthenticated(wallet, issue_key, engine):
    request = wallet_pb2.GetBalanceRequest(player_id="1")
    assert (await rpc_error(wallet.GetBalance(request))).code() == grpc.StatusCode.UNAUTHENTICATED
    bad = (("x-api-key", "crp_000000000000_" + "x" * 43),)
    error = await rpc_error(wallet.GetBalance(request, metadata=bad))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    from adapters.clock import SystemClock
    from adapters.postgres.api_keys import SqlApiKeyStore
    from application.access import RevokeApiKey

    revoked = await issue_key("wallet", name="revoked-svc")
    await RevokeApiKey(SqlApiKeyStore(engine), SystemClock())("revoked-svc")
    error = await rpc_error(wallet.GetBalance(request, metadata=(("x-api-key", revoked),)))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_key_only_calls_its_services(seamless, betting, issue_key, player):
    wallet_only = (("x-api-key", await issue_key("wallet")),)
    request = seamless_pb2.SeamlessRequest(
        player_id=await player(), amount=xtr(1), transaction_id="t", round_id="r"
    )
    error = await rpc_error(seamless.Debit(request, metadata=wallet_only))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    error = await rpc_error(
        betting.GetBet(betting_pb2.GetBetRequest(bet_id=str(uuid.uuid4())), metadata=wallet_only)
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


# --- wallet ------------------------------------------------------------------------------------


async def test_deposit_balance_and_history(wallet, md, player):
    pid = await player(0)
    request = wallet_pb2.DepositRequest(player_id=pid, amount=xtr(500), external_id="pay-1")
    first = await wallet.Deposit(request, metadata=md)
    assert first.balance == xtr(500)
    assert not first.replayed
    again = await wallet.Deposit(request, metadata=md)
    assert again.replayed
    assert again.transaction_id == first.transaction_id
    conflict = await rpc_error(
        wallet.Deposit(
            wallet_pb2.DepositRequest(player_id=pid, amount=xtr(501), external_id="pay-1"),
            metadata=md,
        )
    )
    assert conflict.code() == grpc.StatusCode.ALREADY_EXISTS
    for i in range(4):
        await wallet.Deposit(
            wallet_pb2.DepositRequest(player_id=pid, amount=xtr(1), external_id=f"more-{i}"),
            metadata=md,
        )
    balance = await wallet.GetBalance(wallet_pb2.GetBalanceRequest(player_id=pid), metadata=md)
    assert list(balance.balances) == [xtr(504)]

    page1 = await wallet.ListTransactions(
        wallet_pb2.ListTransactionsRequest(player_id=pid, page_size=3), metadata=md
    )
    assert len(page1.entries) == 3
    assert page1.next_page_token
    page2 = await wallet.ListTransactions(
        wallet_pb2.ListTransactionsRequest(
            player_id=pid, page_size=3, page_token=page1.next_page_token
        ),
        metadata=md,
    )
    assert len(page2.entries) == 2
    assert not page2.next_page_token
    assert page2.entries[-1].amount == xtr(500)
    assert page2.entries[-1].kind == wallet_pb2.TRANSACTION_KIND_DEPOSIT


async def test_a_deposit_is_keyed_by_the_processor_and_its_payment_id(
    wallet, issue_key, player, engine
):
    # The ledger key a processor's retries replay against: stored data, pinned literally.
    name = f"psp-{secrets.token_hex(4)}"
    md = (("x-api-key", await issue_key("wallet", name=name)),)
    request = wallet_pb2.DepositRequest(player_id=await player(0), amount=xtr(5), external_id="p:7")
    done = await wallet.Deposit(request, metadata=md)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT idempotency_key, reference, metadata FROM ledger_transactions"
                    " WHERE id = :id"
                ),
                {"id": uuid.UUID(done.transaction_id)},
            )
        ).one()
    metadata = row.metadata if isinstance(row.metadata, dict) else json.loads(row.metadata)
    assert (row.idempotency_key, row.reference, metadata) == (
        f"deposit:{name}:p:7",
        "p:7",
        {"provider": name},
    )


async def test_wallet_errors_map_to_status_codes(wallet, md):
    bad = await rpc_error(
        wallet.GetBalance(wallet_pb2.GetBalanceRequest(player_id="abc"), metadata=md)
    )
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (rpc_reason(bad), bad_fields(bad)) == ("INVALID_REQUEST", ["player_id"])
    missing = await rpc_error(
        wallet.GetBalance(wallet_pb2.GetBalanceRequest(player_id=str(10**15)), metadata=md)
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    currency = await rpc_error(
        wallet.Deposit(
            wallet_pb2.DepositRequest(
                player_id="1", amount=common_pb2.Money(amount=1, currency="EURO!"), external_id="x"
            ),
            metadata=md,
        )
    )
    assert currency.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(currency) == ["amount.currency"]
    token = await rpc_error(
        wallet.ListTransactions(
            wallet_pb2.ListTransactionsRequest(player_id="1", page_token="!!"), metadata=md
        )
    )
    assert token.code() == grpc.StatusCode.INVALID_ARGUMENT


# --- betting -----------------------------------------------------------------------------------


async def test_bet_lifecycle(betting, md, player):
    pid = await player(1000)
    bet_id = str(uuid.uuid4())
    place = betting_pb2.PlaceBetRequest(
        player_id=pid, bet_id=bet_id, game="tg_dice", stake=xtr(100), params={"bet": "high"}
    )
    placed = await betting.PlaceBet(place, metadata=md)
    assert placed.bet.state == betting_pb2.BET_STATE_PLACED
    assert placed.balance == xtr(900)
    assert (await betting.PlaceBet(place, metadata=md)).replayed
    settled = await betting.SettleBet(
        betting_pb2.SettleBetRequest(
            bet_id=bet_id, dice=betting_pb2.DiceThrow(chat_id=1, message_id=31337, value=5)
        ),
        metadata=md,
    )
    assert settled.bet.state == betting_pb2.BET_STATE_WON
    assert settled.bet.multiplier == "1.94"
    assert settled.bet.payout == xtr(194)
    assert settled.bet.outcome == "🎲 5"
    fetched = await betting.GetBet(betting_pb2.GetBetRequest(bet_id=bet_id), metadata=md)
    assert fetched.bet == settled.bet
    void = await rpc_error(
        betting.VoidBet(betting_pb2.VoidBetRequest(bet_id=bet_id, reason="x"), metadata=md)
    )
    assert void.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rpc_reason(void) == "ILLEGAL_TRANSITION"

    other = str(uuid.uuid4())
    await betting.PlaceBet(
        betting_pb2.PlaceBetRequest(player_id=pid, bet_id=other, game="tg_slot", stake=xtr(10)),
        metadata=md,
    )
    voided = await betting.VoidBet(
        betting_pb2.VoidBetRequest(bet_id=other, reason="lost dice"), metadata=md
    )
    assert voided.bet.state == betting_pb2.BET_STATE_VOIDED
    assert voided.balance == xtr(1094)


async def test_play_instant_is_for_provably_fair_games(betting, md, player):
    pid = await player(1000)
    played = await betting.PlayInstant(
        betting_pb2.PlaceBetRequest(
            player_id=pid,
            bet_id=str(uuid.uuid4()),
            game="roulette",
            stake=xtr(10),
            params={"bet": "straight", "number": "17"},
        ),
        metadata=md,
    )
    assert played.bet.state in (betting_pb2.BET_STATE_WON, betting_pb2.BET_STATE_LOST)
    assert played.bet.fairness.nonce == 0
    assert len(played.bet.fairness.server_seed_hash) == 64
    wrong = await rpc_error(
        betting.PlayInstant(
            betting_pb2.PlaceBetRequest(
                player_id=pid,
                bet_id=str(uuid.uuid4()),
                game="tg_dice",
                stake=xtr(10),
                params={"bet": "odd"},
            ),
            metadata=md,
        )
    )
    assert wrong.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(wrong) == ["game"]


async def test_bets_of_a_blocked_player_or_one_without_the_terms_are_refused_at_every_rpc(
    betting, md, player, register, adjust, new_telegram_id, uow_factory, unique_key
):
    from application.postings import AdjustBalanceCommand
    from application.registration import RegisterPlayerCommand
    from domain.money import XTR, Money
    from domain.players import PlayerStatus

    blocked = await player(1000)
    first = _limbo(blocked)
    before = await betting.PlaceBet(first, metadata=md)
    async with uow_factory() as uow:
        await uow.players.set_status(int(blocked), PlayerStatus.BLOCKED, "tests")
        await uow.commit()
    # An internal service's player who never accepted the terms (here with money a staff
    # adjustment put in): no bet goes through until the acceptance is recorded.
    gated = (await register(RegisterPlayerCommand(new_telegram_id(), currencies=(XTR,)))).player.id
    await adjust(AdjustBalanceCommand(gated, Money(1000, XTR), "tests", "tests", unique_key()))

    for pid, reason in ((blocked, "PLAYER_BLOCKED"), (str(gated), "TERMS_NOT_ACCEPTED")):
        for call in (betting.PlaceBet, betting.PlayInstant):
            error = await rpc_error(call(_limbo(pid), metadata=md))
            assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert rpc_reason(error) == reason
        streamed = [
            result
            async for result in betting.StreamBets(
                _commands(betting_pb2.BetCommand(correlation_id="s", place=_limbo(pid))),
                metadata=md,
            )
        ]
        assert streamed[0].error.code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
        assert streamed[0].error.detail.reason == reason.lower()
    again = await betting.PlaceBet(first, metadata=md)  # placed before the block
    assert again.replayed
    assert again.bet == before.bet


def _limbo(player_id: str) -> betting_pb2.PlaceBetRequest:
    return betting_pb2.PlaceBetRequest(
        player_id=player_id,
        bet_id=str(uuid.uuid4()),
        game="limbo",
        stake=xtr(10),
        params={"target": "2"},
    )


async def _commands(*commands: betting_pb2.BetCommand):
    for command in commands:
        yield command


async def test_betting_errors_map_to_status_codes(betting, md, player):
    pid = await player(50)

    def place(**overrides):
        fields = {
            "player_id": pid,
            "bet_id": str(uuid.uuid4()),
            "game": "coin",
            "stake": xtr(10),
            "params": {"side": "heads"},
        } | overrides
        return betting.PlaceBet(betting_pb2.PlaceBetRequest(**fields), metadata=md)

    cases = [
        ({"stake": xtr(60)}, grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_FUNDS"),
        ({"stake": xtr(10**6)}, grpc.StatusCode.FAILED_PRECONDITION, "LIMIT_EXCEEDED"),
        ({"bet_id": "nope"}, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST"),
        ({"game": "poker"}, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST"),
        ({"params": {"side": "edge"}}, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST"),
        ({"stake": xtr(0)}, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_AMOUNT"),
        ({"player_id": str(10**15)}, grpc.StatusCode.NOT_FOUND, "NOT_FOUND"),
    ]
    for overrides, code, reason in cases:
        error = await rpc_error(place(**overrides))
        assert (error.code(), rpc_reason(error)) == (code, reason), overrides
    bet_id = str(uuid.uuid4())
    await place(bet_id=bet_id)
    conflict = await rpc_error(place(bet_id=bet_id, stake=xtr(11)))
    assert conflict.code() == grpc.StatusCode.ALREADY_EXISTS
    missing = await rpc_error(
        betting.GetBet(betting_pb2.GetBetRequest(bet_id=str(uuid.uuid4())), metadata=md)
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND


async def test_a_passed_deadline_is_deadline_exceeded(betting, md, player):
    pid = await player(100)
    request = betting_pb2.PlaceBetRequest(
        player_id=pid,
        bet_id=str(uuid.uuid4()),
        game="coin",
        stake=xtr(10),
        params={"side": "tails"},
    )
    error = await rpc_error(betting.PlaceBet(request, metadata=md, timeout=0.000001))
    assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    # Whatever happened server-side happened whole: a retry settles it once.
    retried = await betting.PlaceBet(request, metadata=md)
    assert retried.bet.state in (betting_pb2.BET_STATE_WON, betting_pb2.BET_STATE_LOST)


async def test_stream_processes_hundreds_of_bets_with_per_bet_results(betting, md, player):
    rich, poor = await player(100_000), await player(30)
    commands = []
    for i in range(300):
        commands.append(
            betting_pb2.BetCommand(
                correlation_id=f"c{i}",
                place=betting_pb2.PlaceBetRequest(
                    player_id=rich,
                    bet_id=str(uuid.uuid4()),
                    game="limbo",
                    stake=xtr(10),
                    params={"target": "2"},
                ),
            )
        )
    for i in range(5):  # 3 fit in 30 XTR, 2 are refused without ending the stream
        commands.append(
            betting_pb2.BetCommand(
                correlation_id=f"poor{i}",
                place=betting_pb2.PlaceBetRequest(
                    player_id=poor,
                    bet_id=str(uuid.uuid4()),
                    game="tg_darts",
                    stake=xtr(10),
                    params={"bet": "hit"},
                ),
            )
        )
    commands.append(betting_pb2.BetCommand(correlation_id="empty"))

    async def send():
        for command in commands:
            yield command

    results = {}
    async for result in betting.StreamBets(send(), metadata=md):
        assert result.correlation_id not in results
        results[result.correlation_id] = result
    assert set(results) == {c.correlation_id for c in commands}

    rich_bets = [results[f"c{i}"] for i in range(300)]
    assert all(r.WhichOneof("result") == "ok" for r in rich_bets)
    assert sorted(r.ok.bet.fairness.nonce for r in rich_bets) == list(range(300))
    for r in rich_bets:
        won = r.ok.bet.state == betting_pb2.BET_STATE_WON
        assert r.ok.bet.payout.amount == (20 if won else 0)
    poor_results = [results[f"poor{i}"] for i in range(5)]
    ok = [r for r in poor_results if r.WhichOneof("result") == "ok"]
    refused = [r for r in poor_results if r.WhichOneof("result") == "error"]
    assert len(ok) == 3
    assert len(refused) == 2
    assert all(r.error.code == grpc.StatusCode.FAILED_PRECONDITION.value[0] for r in refused)
    assert all(r.error.detail.reason == "insufficient_funds" for r in refused)
    assert results["empty"].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]


async def test_stream_balance_matches_the_results(betting, wallet, md, player):
    pid = await player(10_000)

    async def send():
        for i in range(150):
            yield betting_pb2.BetCommand(
                correlation_id=str(i),
                place=betting_pb2.PlaceBetRequest(
                    player_id=pid,
                    bet_id=str(uuid.uuid4()),
                    game="coin",
                    stake=xtr(7),
                    params={"side": "heads" if i % 2 else "tails"},
                ),
            )

    net = 0
    async for result in betting.StreamBets(send(), metadata=md):
        net += result.ok.bet.payout.amount - 7
    balance = await wallet.GetBalance(wallet_pb2.GetBalanceRequest(player_id=pid), metadata=md)
    assert list(balance.balances) == [xtr(10_000 + net)]


async def test_stream_batches_keep_each_bets_own_result(betting, md, player):
    """Place commands that arrive together are placed as a batch: a refused bet, a conflict
    and a repeat each get their own answer, the rest commit; settle and void ride along."""
    rich, poor = await player(1000), await player(15)
    open_bet = str(uuid.uuid4())
    await betting.PlaceBet(
        betting_pb2.PlaceBetRequest(player_id=rich, bet_id=open_bet, game="tg_slot", stake=xtr(10)),
        metadata=md,
    )
    repeated, conflicting = str(uuid.uuid4()), str(uuid.uuid4())

    def place(cid: str, pid: str, stake: int, bet_id: str | None = None, game: str = "coin"):
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

    commands = [
        place("a", rich, 10),
        place("poor-1", poor, 10, game="tg_darts"),
        place("poor-2", poor, 10, game="tg_darts"),
        place("repeat-1", rich, 20, repeated),
        place("repeat-2", rich, 20, repeated),
        place("conflict-1", rich, 30, conflicting),
        place("conflict-2", rich, 31, conflicting),
        place("b", rich, 10),
        betting_pb2.BetCommand(
            correlation_id="void",
            void=betting_pb2.VoidBetRequest(bet_id=open_bet, reason="lost dice"),
        ),
    ]

    async def send():
        for command in commands:
            yield command

    results = {r.correlation_id: r async for r in betting.StreamBets(send(), metadata=md)}
    assert set(results) == {c.correlation_id for c in commands}
    kinds = {cid: r.WhichOneof("result") for cid, r in results.items()}
    assert kinds["a"] == kinds["b"] == kinds["void"] == "ok"
    # 15 XTR hold one of the two 10s (bets of one player are placed in bet id order).
    assert sorted([kinds["poor-1"], kinds["poor-2"]]) == ["error", "ok"]
    refused = next(results[c] for c in ("poor-1", "poor-2") if kinds[c] == "error")
    assert refused.error.detail.reason == "insufficient_funds"
    assert kinds["repeat-1"] == kinds["repeat-2"] == "ok"
    assert results["repeat-1"].ok.bet == results["repeat-2"].ok.bet
    assert [results["repeat-1"].ok.replayed, results["repeat-2"].ok.replayed].count(True) == 1
    assert sorted([kinds["conflict-1"], kinds["conflict-2"]]) == ["error", "ok"]
    conflict = next(results[c] for c in ("conflict-1", "conflict-2") if kinds[c] == "error")
    assert conflict.error.code == grpc.StatusCode.ALREADY_EXISTS.value[0]
    nonces = sorted(
        results[c].ok.bet.fairness.nonce
        for c in ("a", "b", "repeat-1", "conflict-1", "conflict-2")
        if kinds[c] == "ok"
    )
    assert nonces == [0, 1, 2, 3]  # four provably fair bets placed, no nonce skipped
    assert results["void"].ok.bet.state == betting_pb2.BET_STATE_VOIDED


async def test_a_blocked_player_cannot_deposit_but_a_credited_deposit_replays(
    wallet, issue_key, player, uow_factory, clock, engine
):
    provider = f"pay-{secrets.token_hex(4)}"
    md = (("x-api-key", await issue_key("wallet", name=provider)),)
    pid = await player(0)
    request = wallet_pb2.DepositRequest(player_id=pid, amount=xtr(50), external_id="pay-9")
    credited = await wallet.Deposit(request, metadata=md)
    # The key is built in the use case, in the format stored keys were written in.
    async with engine.connect() as conn:
        key = (
            await conn.execute(
                text("SELECT idempotency_key FROM ledger_transactions WHERE id = :id"),
                {"id": uuid.UUID(credited.transaction_id)},
            )
        ).scalar_one()
    assert key == f"deposit:{provider}:pay-9"

    await BlockPlayer(uow_factory, clock)(int(pid), "chargebacks", Actor("staff:ops"))
    before = await row_counts(engine)
    refused = await rpc_error(
        wallet.Deposit(
            wallet_pb2.DepositRequest(player_id=pid, amount=xtr(50), external_id="pay-10"),
            metadata=md,
        )
    )
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rpc_info(refused) == ("PLAYER_BLOCKED", {"rule": "blocked"})
    assert await row_counts(engine) == before
    # The processor retrying the deposit credited before the block gets its first answer.
    again = await wallet.Deposit(request, metadata=md)
    assert (again.replayed, again.transaction_id) == (True, credited.transaction_id)


async def test_a_player_without_the_terms_cannot_deposit(
    wallet, md, register, new_telegram_id, engine
):
    registered = await register(
        RegisterPlayerCommand(new_telegram_id(), currencies=(XTR,), accept_terms=False)
    )
    before = await row_counts(engine)
    refused = await rpc_error(
        wallet.Deposit(
            wallet_pb2.DepositRequest(
                player_id=str(registered.player.id), amount=xtr(50), external_id="no-terms"
            ),
            metadata=md,
        )
    )
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rpc_info(refused) == ("TERMS_NOT_ACCEPTED", {"rule": "terms_not_accepted"})
    assert await row_counts(engine) == before


# --- seamless wallet ---------------------------------------------------------------------------


async def test_seamless_debit_credit_rollback(seamless, md, player):
    pid = await player(1000)

    def req(tx: str, amount: int, round_id: str = "r1"):
        return seamless_pb2.SeamlessRequest(
            player_id=pid, amount=xtr(amount), transaction_id=tx, round_id=round_id, game_id="g"
        )

    debit = await seamless.Debit(req("d1", 100), metadata=md)
    assert debit.balance == xtr(900)
    assert (await seamless.Debit(req("d1", 100), metadata=md)).replayed
    conflict = await rpc_error(seamless.Debit(req("d1", 101), metadata=md))
    assert conflict.code() == grpc.StatusCode.ALREADY_EXISTS
    credit = await seamless.Credit(req("c1", 250), metadata=md)
    assert credit.balance == xtr(1150)
    closed = await rpc_error(seamless.Debit(req("d2", 10), metadata=md))
    assert closed.code() == grpc.StatusCode.FAILED_PRECONDITION

    await seamless.Debit(req("d3", 40, "r2"), metadata=md)
    rolled = await seamless.Rollback(
        seamless_pb2.RollbackRequest(
            player_id=pid, transaction_id="d3", round_id="r2", currency="XTR"
        ),
        metadata=md,
    )
    assert rolled.balance == xtr(1150)
    tombstone = await seamless.Rollback(
        seamless_pb2.RollbackRequest(
            player_id=pid, transaction_id="late", round_id="r3", currency="XTR"
        ),
        metadata=md,
    )
    assert tombstone.balance == xtr(1150)
    late = await rpc_error(seamless.Debit(req("late", 5, "r3"), metadata=md))
    assert late.code() == grpc.StatusCode.FAILED_PRECONDITION
    poor = await rpc_error(seamless.Debit(req("big", 10**5, "r4"), metadata=md))
    assert poor.code() == grpc.StatusCode.FAILED_PRECONDITION
    blank = await rpc_error(seamless.Debit(req("", 5, "r5"), metadata=md))
    assert blank.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(blank) == ["transaction_id"]


async def test_a_blocked_players_debit_is_refused_and_open_rounds_settle(
    seamless, md, player, uow_factory, clock, engine
):
    pid = await player(1000)

    def req(tx: str, amount: int, round_id: str):
        return seamless_pb2.SeamlessRequest(
            player_id=pid, amount=xtr(amount), transaction_id=tx, round_id=round_id
        )

    await seamless.Debit(req("b1", 100, "rb1"), metadata=md)
    await seamless.Debit(req("b2", 40, "rb2"), metadata=md)
    await BlockPlayer(uow_factory, clock)(int(pid), "fraud review", Actor("staff:ops"))
    before = await row_counts(engine)
    refused = await rpc_error(seamless.Debit(req("b3", 10, "rb3"), metadata=md))
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rpc_info(refused) == ("PLAYER_BLOCKED", {"rule": "blocked"})
    assert await row_counts(engine) == before
    assert (await seamless.Debit(req("b1", 100, "rb1"), metadata=md)).replayed
    assert (await seamless.Credit(req("b1-win", 250, "rb1"), metadata=md)).balance == xtr(1110)
    rolled = await seamless.Rollback(
        seamless_pb2.RollbackRequest(
            player_id=pid, transaction_id="b2", round_id="rb2", currency="XTR"
        ),
        metadata=md,
    )
    assert rolled.balance == xtr(1150)


async def test_graceful_stop_drains_in_flight_calls(servers, grpc_settings, issue_key, player):
    from application.access import Authenticate
    from entrypoints.composition.containers import make_grpc_container
    from entrypoints.composition.endpoints import Endpoints
    from entrypoints.grpc.server import GrpcServer

    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = make_grpc_container(grpc_settings, endpoints)
    server = GrpcServer(container, grpc_settings, await container.get(Authenticate))
    await server.start()
    md = (("x-api-key", await issue_key("betting")),)
    pid = await player(10_000)
    outbox: asyncio.Queue = asyncio.Queue()

    def command(i: int) -> betting_pb2.BetCommand:
        return betting_pb2.BetCommand(
            correlation_id=str(i),
            place=betting_pb2.PlaceBetRequest(
                player_id=pid,
                bet_id=str(uuid.uuid4()),
                game="coin",
                stake=xtr(1),
                params={"side": "heads"},
            ),
        )

    async def send():
        while (item := await outbox.get()) is not None:
            yield item

    async with grpc.aio.insecure_channel(server.address) as channel:
        stream = betting_pb2_grpc.BettingServiceStub(channel).StreamBets(send(), metadata=md)
        await outbox.put(command(0))
        first = await stream.read()  # the call is now surely in flight
        stopping = asyncio.create_task(server.stop())
        await asyncio.sleep(0.2)
        # A new call is refused while the old one drains.
        late = await rpc_error(
            betting_pb2_grpc.BettingServiceStub(channel).GetBet(
                betting_pb2.GetBetRequest(bet_id=str(uuid.uuid4())), metadata=md, timeout=5
            )
        )
        assert late.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
        for i in range(1, 20):
            await outbox.put(command(i))
        await outbox.put(None)
        rest = []
        while (result := await stream.read()) is not grpc.aio.EOF:
            rest.append(result)
        await stopping
    await container.close()
    answered = [first, *rest]
    assert sorted(int(r.correlation_id) for r in answered) == list(range(20))
    assert all(r.WhichOneof("result") == "ok" for r in answered)


def _certificate(tmp_path, name: str, issuer=None):
    """A certificate for 127.0.0.1 signed by `issuer` (or itself), written as PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    signer_cert, signer_key = issuer or (None, key)
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(signer_cert.subject if signer_cert else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
        .sign(signer_key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key, cert_path, key_path


async def test_mutual_tls(servers, grpc_settings, tmp_path):
    from dataclasses import replace

    from application.access import Authenticate
    from entrypoints.composition.containers import make_grpc_container
    from entrypoints.composition.endpoints import Endpoints
    from entrypoints.grpc.server import GrpcServer

    ca_cert, ca_key, ca_path, _ = _certificate(tmp_path, "ca")
    _, _, server_cert, server_key = _certificate(tmp_path, "server", (ca_cert, ca_key))
    _, _, client_cert, client_key = _certificate(tmp_path, "client", (ca_cert, ca_key))
    settings = replace(
        grpc_settings,
        grpc_tls_cert=server_cert,
        grpc_tls_key=server_key,
        grpc_tls_client_ca=ca_path,
    )
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = make_grpc_container(settings, endpoints)
    server = GrpcServer(container, settings, await container.get(Authenticate))
    await server.start()
    try:
        trusted = grpc.ssl_channel_credentials(
            root_certificates=ca_path.read_bytes(),
            private_key=client_key.read_bytes(),
            certificate_chain=client_cert.read_bytes(),
        )
        async with grpc.aio.secure_channel(server.address, trusted) as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=10
            )
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        anonymous = grpc.ssl_channel_credentials(root_certificates=ca_path.read_bytes())
        async with grpc.aio.secure_channel(server.address, anonymous) as channel:
            error = await rpc_error(
                health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=10
                )
            )
            assert error.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await server.stop()
        await container.close()


async def test_an_unexpected_failure_is_internal_without_its_text(
    wallet, betting, md, player, monkeypatch
):
    from application.balances import GetBalances
    from application.betting import VoidBet

    async def broken(*args, **kwargs):
        raise RuntimeError("SELECT secret_column FROM internals")

    monkeypatch.setattr(GetBalances, "__call__", broken)
    error = await rpc_error(
        wallet.GetBalance(wallet_pb2.GetBalanceRequest(player_id=await player()), metadata=md)
    )
    assert error.code() == grpc.StatusCode.INTERNAL
    assert "secret" not in (error.details() or "")
    assert "same idempotency key" in (error.details() or "")

    # In a stream, the failed command gets its own INTERNAL result; the next one still works.
    monkeypatch.setattr(VoidBet, "__call__", broken)
    owner = await player()

    async def commands():
        yield betting_pb2.BetCommand(
            correlation_id="void",
            void=betting_pb2.VoidBetRequest(bet_id=str(uuid.uuid4()), reason="x"),
        )
        yield betting_pb2.BetCommand(
            correlation_id="place",
            place=betting_pb2.PlaceBetRequest(
                player_id=owner,
                bet_id=str(uuid.uuid4()),
                game="coin",
                stake=xtr(10),
                params={"side": "heads"},
            ),
        )

    results = {r.correlation_id: r async for r in betting.StreamBets(commands(), metadata=md)}
    assert results["void"].error.code == grpc.StatusCode.INTERNAL.value[0]
    assert "secret" not in results["void"].error.message
    assert results["place"].HasField("ok")
