"""Observability through the real interfaces: JSON log lines with request, trace and bet ids
for HTTP requests, gRPC calls and bets; the metrics at `/metrics` moved by real calls; and
traces continued from a caller's `traceparent`."""

from __future__ import annotations

import asyncio
import secrets
import uuid

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from application.postings import CreditDepositCommand
from croupier.v1 import betting_pb2, wallet_pb2
from domain.money import XTR, Money
from entrypoints.composition.ledger_totals import refresh_ledger_totals
from entrypoints.observability import tracing
from entrypoints.settings import Settings
from tests.entrypoints.grpc_calls import xtr

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

HEX32 = set("0123456789abcdef")


def traceparent() -> tuple[str, str, str]:
    trace, parent = secrets.token_hex(16), secrets.token_hex(8)
    return f"00-{trace}-{parent}-01", trace, parent


@pytest.fixture
async def md(issue_key):
    return (("x-api-key", await issue_key("wallet", "betting")),)


@pytest.fixture
def in_memory_traces():
    """Tracing on, into the SDK's in-memory exporter; off again after the test."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    configured = tracing.configure_tracing(Settings(), exporter=exporter)
    assert configured is not None

    def finished():
        configured.flush()
        return exporter.get_finished_spans()

    try:
        yield finished
    finally:
        tracing.shutdown_tracing()


async def scrape(api) -> dict[tuple[str, frozenset], float]:
    response = await api.get("/metrics")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels` (0 when none)."""
    wanted = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and wanted <= found)


def access_lines(lines, needle: str) -> list[dict]:
    return [
        line for line in lines if line["logger"] == "croupier.access" and needle in line["message"]
    ]


async def access_lines_once_written(json_logs, needle: str, within: float = 5.0) -> list[dict]:
    """The access lines matching `needle`, waiting for the first. A call refused by
    `context.abort` sends its status to the client before the server's interceptor returns
    and writes the line (its elapsed time includes the abort), so under load the client can
    see the refusal first: CI once read no line 109 ms before the server wrote it."""
    deadline = asyncio.get_running_loop().time() + within
    while not (lines := access_lines(json_logs(), needle)):
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.01)
    return lines


# --- logs --------------------------------------------------------------------------------------


async def test_an_http_request_echoes_its_request_id_and_logs_it(api, json_logs):
    header, trace, _ = traceparent()
    response = await api.get(
        "/api/v1/auth/me", headers={"X-Request-ID": "req-http.1", "traceparent": header}
    )
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "req-http.1"
    (line,) = access_lines(json_logs(), "/api/v1/auth/me")
    assert line["message"].startswith("HTTP GET /api/v1/auth/me 401 ")
    assert line["level"] == "INFO"
    assert line["request_id"] == "req-http.1"
    assert line["trace_id"] == trace  # tracing is off: the caller's trace id still shows
    assert line["timestamp"].endswith("Z")
    assert "bet_id" not in line


async def test_an_unusable_request_id_is_replaced_and_every_response_has_one(api, json_logs):
    response = await api.get("/api/v1/auth/me", headers={"X-Request-ID": "x" * 65})
    chosen = response.headers["x-request-id"]
    assert len(chosen) == 32
    assert set(chosen) <= HEX32
    (line,) = access_lines(json_logs(), "/api/v1/auth/me")
    assert line["request_id"] == chosen
    assert "trace_id" not in line
    # The router answers an unknown path before any middleware runs: it still gets an id.
    unknown = await api.get("/no/such/path", headers={"X-Request-ID": "req-404"})
    assert unknown.status_code == 404
    assert unknown.headers["x-request-id"] == "req-404"
    fresh = await api.get("/no/such/path")
    assert len(fresh.headers["x-request-id"]) == 32


async def test_probes_and_scrapes_have_no_access_line(api, json_logs):
    assert (await api.get("/health/live")).status_code == 200
    assert (await api.get("/metrics")).status_code == 200
    assert access_lines(json_logs(), "/health") == []
    assert access_lines(json_logs(), "/metrics") == []


async def test_a_grpc_call_echoes_its_request_id_and_logs_it(wallet, md, player, json_logs):
    pid = await player(0)
    header, trace, _ = traceparent()
    call = wallet.GetBalance(
        wallet_pb2.GetBalanceRequest(player_id=pid),
        metadata=(*md, ("x-request-id", "req-grpc-1"), ("traceparent", header)),
    )
    await call
    # Echoed with the status (CROUPIER_GRPC_ECHO_REQUEST_ID=trailing, the default).
    assert ("x-request-id", "req-grpc-1") in tuple(await call.trailing_metadata())
    # This call's line, by its id: the capture holds every line the process writes while the
    # test runs, and the shared server may still be finishing another test's GetBalance (a
    # call its client gave up on) - the likely cause of one failure seen under heavy load.
    (line,) = [
        line
        for line in access_lines(json_logs(), "GetBalance")
        if line.get("request_id") == "req-grpc-1"
    ]
    assert line["message"].startswith("gRPC /croupier.v1.WalletService/GetBalance OK ")
    assert line["trace_id"] == trace

    # Refused before any handler (no key): the caller still gets an id, and the line too.
    refused = wallet.GetBalance(wallet_pb2.GetBalanceRequest(player_id=pid))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await refused
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    (echoed,) = [v for k, v in await refused.trailing_metadata() if k == "x-request-id"]
    assert len(echoed) == 32
    lines = await access_lines_once_written(json_logs, "GetBalance UNAUTHENTICATED")
    assert [line["request_id"] for line in lines] == [echoed]


async def test_a_bets_log_lines_from_inside_the_placement_carry_its_id(
    betting, md, player, json_logs
):
    pid = await player(1000)
    bet_id = str(uuid.uuid4())
    await betting.PlaceBet(
        betting_pb2.PlaceBetRequest(
            player_id=pid, bet_id=bet_id, game="coin", stake=xtr(10), params={"side": "tails"}
        ),
        metadata=(*md, ("x-request-id", "req-bet-1")),
    )
    lines = json_logs()
    # Logged by the use case, in the bet queue's own task: the ids followed the bet there.
    (inside,) = [
        line
        for line in lines
        if line["logger"].startswith("application.betting.") and bet_id in line["message"]
    ]
    assert inside["level"] == "DEBUG"
    assert inside["bet_id"] == bet_id
    assert inside["request_id"] == "req-bet-1"
    (access,) = access_lines(lines, "PlaceBet")
    assert access["bet_id"] == bet_id
    assert access["request_id"] == "req-bet-1"


async def test_bets_of_a_stream_each_carry_their_own_id(betting, md, player, json_logs):
    pid = await player(1000)
    bet_ids = [str(uuid.uuid4()) for _ in range(3)]
    commands = [
        betting_pb2.BetCommand(
            correlation_id=str(i),
            place=betting_pb2.PlaceBetRequest(
                player_id=pid, bet_id=bet_id, game="coin", stake=xtr(5), params={"side": "heads"}
            ),
        )
        for i, bet_id in enumerate(bet_ids)
    ]
    stream = betting.StreamBets(iter(commands), metadata=(*md, ("x-request-id", "req-stream")))
    results = [result async for result in stream]
    assert all(result.HasField("ok") for result in results)
    lines = json_logs()
    carried = []
    for bet_id in bet_ids:
        (inside,) = [
            line
            for line in lines
            if line["logger"].startswith("application.betting.") and bet_id in line["message"]
        ]
        # A bet alone carries its ids; bets that went in one batch carry none rather than
        # a neighbour's.
        assert inside.get("bet_id") in (bet_id, None)
        if "bet_id" in inside:
            assert inside["request_id"] == "req-stream"
            carried.append(bet_id)
    assert bet_ids[0] in carried  # the first found the queue idle and went alone
    assert access_lines(lines, "StreamBets")[0]["request_id"] == "req-stream"


# --- metrics -----------------------------------------------------------------------------------


async def test_metrics_count_bets_by_outcome_and_refusals_by_reason(api, betting, md, player):
    pid = await player(1000)
    before = await scrape(api)
    placed = await betting.PlaceBet(
        betting_pb2.PlaceBetRequest(
            player_id=pid,
            bet_id=str(uuid.uuid4()),
            game="coin",
            stake=xtr(10),
            params={"side": "heads"},
        ),
        metadata=md,
    )
    outcome = {betting_pb2.BET_STATE_WON: "won", betting_pb2.BET_STATE_LOST: "lost"}[
        placed.bet.state
    ]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await betting.PlaceBet(
            betting_pb2.PlaceBetRequest(
                player_id=pid,
                bet_id=str(uuid.uuid4()),
                game="coin",
                stake=xtr(5000),  # within the game's limits, beyond the balance
                params={"side": "heads"},
            ),
            metadata=md,
        )
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    dice = str(uuid.uuid4())
    pending = betting_pb2.PlaceBetRequest(
        player_id=pid, bet_id=dice, game="tg_dice", stake=xtr(10), params={"bet": "high"}
    )
    await betting.PlaceBet(pending, metadata=md)
    await betting.PlaceBet(pending, metadata=md)  # a replay counts nothing
    await betting.VoidBet(betting_pb2.VoidBetRequest(bet_id=dice, reason="no dice"), metadata=md)
    after = await scrape(api)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    bets = "croupier_bets_total"
    assert moved(bets, game="coin", currency="XTR", outcome=outcome) == 1
    assert moved(bets, game="coin", outcome="won") + moved(bets, game="coin", outcome="lost") == 1
    assert moved(bets, game="coin", outcome="refused", reason="insufficient_funds") == 1
    assert moved(bets, game="tg_dice", outcome="pending") == 1
    assert moved("croupier_bet_settlements_total", game="tg_dice", outcome="voided") == 1
    assert moved("croupier_domain_errors_total", entrypoint="grpc", code="insufficient_funds") == 1
    placement = {"entrypoint": "grpc", "method": "PlaceBet"}
    assert moved("croupier_bet_placement_seconds_count", **placement) == 4
    assert moved("croupier_bet_placement_seconds_bucket", le="+Inf", **placement) == 4
    assert value(after, "croupier_bet_placement_seconds_sum", **placement) > 0
    # The writes of the snapshot road, one a bet here (the coin bet's, the refusal's, which
    # checks no twin was placed, and the dice bet's if it took that road; a replay reads and
    # writes nothing), each timed in its three parts (adapters.prometheus.placements, wired
    # by the composition root).
    batches = moved("croupier_bet_batch_bets_count")
    assert batches >= 2
    assert moved("croupier_bet_batch_bets_sum") == batches
    for phase in ("read", "decide", "write"):
        assert moved("croupier_bet_batch_seconds_count", phase=phase) == batches


async def test_metrics_count_grpc_calls_by_status_with_their_latency(api, wallet, md, player):
    pid = await player(0)
    labels = {"grpc_service": "croupier.v1.WalletService", "grpc_method": "GetBalance"}
    before = await scrape(api)
    await wallet.GetBalance(wallet_pb2.GetBalanceRequest(player_id=pid), metadata=md)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await wallet.GetBalance(wallet_pb2.GetBalanceRequest(player_id="abc"), metadata=md)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    after = await scrape(api)

    def moved(name: str, **extra: str) -> float:
        return value(after, name, **labels, **extra) - value(before, name, **labels, **extra)

    handled = "grpc_server_handled_total"
    assert moved(handled, grpc_code="OK", grpc_type="unary") == 1
    assert moved(handled, grpc_code="INVALID_ARGUMENT") == 1
    assert moved("grpc_server_started_total") == 2
    assert moved("grpc_server_handling_seconds_count") == 2
    assert moved("grpc_server_handling_seconds_bucket", le="+Inf") == 2
    # Every call took some time, and a 10-second bucket holds them all.
    assert moved("grpc_server_handling_seconds_bucket", le="10.0") == 2
    assert value(after, "grpc_server_handling_seconds_sum", **labels) > 0
    refusals = {"entrypoint": "grpc", "code": "invalid_request"}
    assert (
        value(after, "croupier_domain_errors_total", **refusals)
        - value(before, "croupier_domain_errors_total", **refusals)
        == 1
    )


async def _xtr_books(engine) -> dict[str, tuple[int, int]]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT kind, count(*), sum(balance) FROM accounts"
                    " WHERE currency = 'XTR' GROUP BY kind"
                )
            )
        ).all()
    return {kind: (count, int(total)) for kind, count, total in rows}


async def test_ledger_totals_equal_the_books_after_a_deposit(
    api, engine, new_player, credit, unique_key
):
    await refresh_ledger_totals(engine)
    before = await scrape(api)
    books_before = await _xtr_books(engine)
    player = await new_player()
    await credit(CreditDepositCommand(player.id, Money(777, XTR), unique_key("dep")))
    await refresh_ledger_totals(engine)
    after = await scrape(api)
    books = await _xtr_books(engine)

    # A gauge is a float64, as Prometheus's text format is: exact up to 2**53 minor units, and
    # the nearest float beyond (other tests, the gRPC fuzzer among them, deposit amounts near
    # 2**63 into the same books). So each total is compared with the float of the books' exact
    # sum, and the deposit's effect and the zero sum are checked on the books' integers.
    for kind, (count, total) in books.items():
        assert value(after, "croupier_ledger_balance", currency="XTR", kind=kind) == float(total)
        assert value(after, "croupier_ledger_accounts", currency="XTR", kind=kind) == count
    for kind, (_, total) in books_before.items():
        assert value(before, "croupier_ledger_balance", currency="XTR", kind=kind) == float(total)
    wallets_before = books_before.get("player_wallet", (0, 0))
    assert books["player_wallet"][1] - wallets_before[1] == 777
    assert books["player_wallet"][0] - wallets_before[0] == 1
    wallets = {"currency": "XTR", "kind": "player_wallet"}
    assert (
        value(after, "croupier_ledger_accounts", **wallets)
        - value(before, "croupier_ledger_accounts", **wallets)
        == 1
    )
    # Double entry: a currency sums to zero over all kinds.
    assert sum(total for _, total in books.values()) == 0
    assert value(after, "croupier_ledger_totals_timestamp_seconds") >= value(
        before, "croupier_ledger_totals_timestamp_seconds"
    )


# --- traces ------------------------------------------------------------------------------------


async def test_a_grpc_call_continues_the_callers_trace(
    betting, md, player, json_logs, in_memory_traces
):
    from opentelemetry.trace import SpanKind

    pid = await player(1000)
    header, trace, parent = traceparent()
    bet_id = str(uuid.uuid4())
    await betting.PlaceBet(
        betting_pb2.PlaceBetRequest(
            player_id=pid, bet_id=bet_id, game="coin", stake=xtr(10), params={"side": "tails"}
        ),
        metadata=(*md, ("traceparent", header)),
    )
    spans = in_memory_traces()
    (server,) = [s for s in spans if s.name == "croupier.v1.BettingService/PlaceBet"]
    assert server.kind is SpanKind.SERVER
    assert format(server.context.trace_id, "032x") == trace
    assert format(server.parent.span_id, "016x") == parent
    assert server.attributes["rpc.grpc.status_code"] == 0
    (bet,) = [s for s in spans if s.name == "bet.place"]
    assert bet.parent.span_id == server.context.span_id
    assert bet.attributes["croupier.bet_id"] == bet_id
    lines = json_logs()
    (access,) = access_lines(lines, "PlaceBet")
    assert access["trace_id"] == trace
    (inside,) = [
        line
        for line in lines
        if line["logger"].startswith("application.betting.") and bet_id in line["message"]
    ]
    assert inside["trace_id"] == trace


async def test_an_http_request_is_traced_and_a_new_trace_is_logged(
    api, json_logs, in_memory_traces
):
    header, trace, _ = traceparent()
    await api.get("/api/v1/auth/me", headers={"traceparent": header})
    await api.get("/api/v1/auth/me")  # no caller trace: a new one, in the span and the log
    spans = [s for s in in_memory_traces() if s.name == "GET /api/v1/auth/me"]
    assert len(spans) == 2
    continued, fresh = spans
    assert format(continued.context.trace_id, "032x") == trace
    assert continued.attributes["http.response.status_code"] == 401
    assert fresh.parent is None
    first, second = access_lines(json_logs(), "/api/v1/auth/me")
    assert first["trace_id"] == trace
    assert second["trace_id"] == format(fresh.context.trace_id, "032x")
