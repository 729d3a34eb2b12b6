"""The Hub88-style HTTP wallet (docs/aggregators.md), and the seamless wallet's scenario run
through both doors: the same calls through gRPC and through HTTP leave the same books; then
the answers kept by request_uuid (replays, another body, twins raced on a real server).

Longer than most modules: every test here shares one configured app, its keys and its
aggregators (module-scoped fixtures); split, each half would build its own (RSA keys, a
container) or move them to a conftest that only these tests read."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from application.access import RevokeApiKey
from application.aggregators import IssueGameSession
from application.player_admin import BlockPlayer
from application.staff import Actor
from domain.game_sessions import GameSession, issue_token
from domain.money import XTR
from entrypoints.composition.endpoints import Endpoints
from entrypoints.http.aggregator_wire import SIGNATURE_HEADER
from entrypoints.settings import Settings
from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS
from tests.entrypoints.aggregator_doors import WIRE, GrpcDoor, HttpDoor, KeyPair, Said, books
from tests.entrypoints.fast_hashing import FastPasswordHashing

SUFFIX = secrets.token_hex(4)
AGGREGATOR = f"hub-{SUFFIX}"
CAPPED = f"capped-{SUFFIX}"  # its key pays at most 200 ⭐ a win
REVOKED = f"revoked-{SUFFIX}"  # configured, but its service key is revoked
SESSION_KEY = secrets.token_bytes(32)
GAME = "slots-1"


@pytest.fixture(scope="module")
def theirs() -> KeyPair:
    return KeyPair.new()


@pytest.fixture(scope="module")
def ours() -> KeyPair:
    return KeyPair.new()


@pytest.fixture(scope="module")
def aggregator_settings(tmp_path_factory, theirs, ours) -> Settings:
    folder = tmp_path_factory.mktemp("aggregators")
    public = theirs.write_public(folder / "aggregator.pem")
    return Settings(
        secret_key=secrets.token_hex(32),
        seed_key=secrets.token_bytes(32),
        pii_keys=TEST_PII_KEYS,
        pii_index_key=TEST_PII_INDEX_KEY,
        house_shards=4,
        data_dir=folder,
        velocity_bets_per_second=0,  # as the gRPC test server's: the scenarios bet fast
        aggregator_keys=",".join(f"{name}={public}" for name in (AGGREGATOR, CAPPED, REVOKED)),
        aggregator_signing_key=str(ours.write_private(folder / "croupier.pem")),
        game_session_key=SESSION_KEY.hex(),
    )


@pytest.fixture(scope="module")
def aggregator_app(servers, aggregator_settings):
    from entrypoints.composition.containers import make_http_container
    from entrypoints.http.app import create_app

    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    return create_app(make_http_container(aggregator_settings, endpoints, FastPasswordHashing()))


@pytest.fixture(scope="module")
async def aggregator_container(servers, aggregator_settings):
    from entrypoints.composition.containers import make_http_container

    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = make_http_container(aggregator_settings, endpoints, FastPasswordHashing())
    yield container
    await container.close()


@pytest.fixture(scope="module")
async def aggregator_keys(issue_key, aggregator_container):
    await issue_key("seamless", name=AGGREGATOR)
    await issue_key("seamless", name=CAPPED, caps={"XTR": 200})
    await issue_key("seamless", name=REVOKED)
    async with aggregator_container() as scope:
        await (await scope.get(RevokeApiKey))(REVOKED)


@pytest.fixture
async def client(aggregator_app):
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=aggregator_app) as client:
        yield client


@pytest.fixture
def use(aggregator_container):
    async def call(kind, *args):
        async with aggregator_container() as scope:
            return await (await scope.get(kind))(*args)

    return call


@pytest.fixture
def http_door(client, theirs, ours, player, use, aggregator_keys):
    async def make(balance: int = 1000, aggregator: str = AGGREGATOR) -> HttpDoor:
        pid = await player(balance)
        token = await use(IssueGameSession, int(pid), XTR, GAME, aggregator)
        return HttpDoor(client, aggregator, theirs, ours, pid, token)

    return make


@pytest.fixture
def grpc_door(channel, issue_key, player):
    async def make(balance: int = 1000) -> GrpcDoor:
        name = f"svc-{secrets.token_hex(4)}"
        key = await issue_key("seamless", name=name)
        return GrpcDoor(channel, (("x-api-key", key),), name, await player(balance))

    return make


# --- one scenario, both doors ---------------------------------------------------------------

OK = "OK", "RS_OK"
# (call, arguments, (gRPC's answer, HTTP's status), balance in gRPC's answer, in HTTP's)
SCENARIO = (
    ("bet", ("b1", "r1", 100), OK, 900, 900),
    ("bet", ("b1", "r1", 100), OK, 900, 900),  # the aggregator's retry: the first answer
    ("bet", ("b1", "r1", 150), ("ALREADY_EXISTS", "RS_ERROR_DUPLICATE_TRANSACTION"), None, None),
    ("win", ("w1", "b1", "r1", 250), OK, 1150, 1150),
    ("win", ("w1", "b1", "r1", 250), OK, 1150, 1150),  # wins are retried until answered
    # A credit closed r1: its bet is not rolled back any more.
    ("rollback", ("x1", "b1", "r1"), ("FAILED_PRECONDITION", "RS_ERROR_UNKNOWN"), None, None),
    ("bet", ("b2", "r2", 40), OK, 1110, 1110),
    ("rollback", ("x2", "b2", "r2"), OK, 1150, 1150),
    ("rollback", ("x2", "b2", "r2"), OK, 1150, 1150),
    # Credits are bounded by their round: r2 holds no stake any more.
    (
        "win",
        ("w2", "b2", "r2", 50),
        ("FAILED_PRECONDITION", "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"),
        None,
        None,
    ),
    # Rollback before bet: recorded, and the late bet is refused.
    ("rollback", ("x3", "b3", "r3"), ("OK", "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"), 1150, 1150),
    (
        "bet",
        ("b3", "r3", 10),
        ("FAILED_PRECONDITION", "RS_ERROR_TRANSACTION_ROLLED_BACK"),
        None,
        None,
    ),
    ("bet", ("b4", "r4", 5000), ("FAILED_PRECONDITION", "RS_ERROR_NOT_ENOUGH_MONEY"), None, 1150),
    (
        "win",
        ("w5", "b5", "r5", 500),
        ("FAILED_PRECONDITION", "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"),
        None,
        None,
    ),
    # A bet, and its round pays more than 10 000 times the stake: refused.
    ("bet", ("b6", "r6", 1), OK, 1149, 1149),
    ("win", ("w6", "b6", "r6", 10_001), ("FAILED_PRECONDITION", "RS_ERROR_UNKNOWN"), None, None),
    ("win", ("w6b", "b6", "r6", 0), OK, 1149, 1149),  # a lost round: zero, closes it
    ("bet", ("b7", "r6", 5), ("FAILED_PRECONDITION", "RS_ERROR_UNKNOWN"), None, None),
)


async def play(door: GrpcDoor | HttpDoor, http: bool, run: str) -> None:
    """The scenario, its ids prefixed with `run`: transaction ids are unique per provider, and
    the HTTP tests share one aggregator. Through HTTP, every request is then sent again as it
    was (its request_uuid and bytes): each gets its first answer byte for byte (the balance
    as it was then, a refusal as it was), and nothing moves (the books compared after)."""
    for number, (call, args, statuses, grpc_balance, http_balance) in enumerate(SCENARIO):
        said = await getattr(door, call)(*(f"{run}{a}" if isinstance(a, str) else a for a in args))
        expected = Said(statuses[http], http_balance if http else grpc_balance)
        assert said == expected, f"step {number}: {call}{args}"
    if isinstance(door, HttpDoor):
        replays = await door.replay_all()
        assert len(replays) == len(SCENARIO)
        for number, (first, again) in enumerate(replays):
            assert again == first, f"step {number} replayed"
        # The first bet's answer still says 900 ⭐, as when it was first given.
        assert json.loads(replays[0][1])["balance"] == 900 * WIRE


@pytest.mark.parametrize("door", ["grpc", "http"])
async def test_the_seamless_scenario_through_each_door(door, grpc_door, http_door, engine):
    play_through = await (http_door() if door == "http" else grpc_door())
    run = f"{secrets.token_hex(4)}-"
    await play(play_through, door == "http", run)
    books_left = await books(engine, play_through.provider, play_through.player, run)
    assert books_left.balance == 1149
    # deposit, b1, w1, b2, its refund, b6: the refusals and the zero win moved nothing
    assert [amount for _, amount, _ in books_left.legs] == [1000, -100, 250, -40, 40, -1]
    states = {tx: state for tx, _, state, _, _ in books_left.records}
    assert states == {
        "b1": "debited",
        "w1": "credited",
        "b2": "rolled_back",
        "b3": "cancelled",
        "b6": "debited",
        "w6b": "credited",
    }


async def test_both_doors_leave_the_same_books(grpc_door, http_door, engine):
    through_grpc, through_http = await grpc_door(), await http_door()
    run = f"{secrets.token_hex(4)}-"
    await play(through_grpc, False, run)
    await play(through_http, True, run)
    assert await books(engine, through_grpc.provider, through_grpc.player, run) == await books(
        engine, through_http.provider, through_http.player, run
    )


# --- the HTTP door's own rules ---------------------------------------------------------------


async def test_a_bad_signature_moves_nothing(http_door, engine, ours):
    door = await http_door()
    fields = {
        "transaction_uuid": "s1",
        "round": "rs1",
        "currency": "XTR",
        "amount": 10 * WIRE,
        "token": door.token,
        "game_code": GAME,
    }
    for signature in ("", "not base64!", ours.sign(b"{}"), door._key.sign(b"another body")):
        answer = await door.post("/transaction/bet", fields, signature=signature)
        assert answer["status"] == "RS_ERROR_INVALID_SIGNATURE"
        assert "balance" not in answer
    left = await books(engine, door.provider, door.player)
    assert left.balance == 1000
    assert left.records == ()
    assert (await door.bet("s1", "rs1", 10)) == Said("RS_OK", 990)  # signed: taken


def _expired(door: HttpDoor) -> str:
    session = GameSession(
        int(door.player), "XTR", GAME, door.provider, datetime.now(UTC) - timedelta(seconds=1)
    )
    return issue_token(session, SESSION_KEY)


async def test_an_expired_token_refuses_a_bet_never_a_win_or_a_rollback(http_door, engine):
    door = await http_door()
    expired = _expired(door)
    assert await door.bet("e1", "re1", 10) == Said("RS_OK", 990)
    assert await door.bet("e2", "re2", 10) == Said("RS_OK", 980)
    assert await door.bet("e3", "re3", 10, token=expired) == Said("RS_ERROR_TOKEN_EXPIRED")
    assert await door.balance(expired) == Said("RS_ERROR_TOKEN_EXPIRED")
    assert await door.info(expired) == Said("RS_ERROR_TOKEN_EXPIRED")
    # The player closed the game; the rounds still settle.
    assert await door.win("e1w", "e1", "re1", 30, token=expired) == Said("RS_OK", 1010)
    assert await door.rollback("e2x", "e2", "re2", token=expired) == Said("RS_OK", 1020)
    left = await books(engine, door.provider, door.player)
    assert left.balance == 1020
    assert "e3" not in {r[0] for r in left.records}


async def test_a_token_is_bound_to_its_player_game_and_aggregator(http_door, use):
    door, other = await http_door(), await http_door()
    assert await door.bet("t1", "rt1", 5, token=other.token) == Said("RS_ERROR_INVALID_TOKEN")
    assert await door.balance(other.token) == Said("RS_ERROR_INVALID_TOKEN")
    assert await door.bet("t1", "rt1", 5, game_code="other-game") == Said("RS_ERROR_INVALID_TOKEN")
    elsewhere = await use(IssueGameSession, int(door.player), XTR, GAME, CAPPED)
    assert await door.bet("t1", "rt1", 5, token=elsewhere) == Said("RS_ERROR_INVALID_TOKEN")
    payload, _ = door.token.rsplit(".", 1)
    forged = f"{payload}.{'A' * 43}"
    assert await door.bet("t1", "rt1", 5, token=forged) == Said("RS_ERROR_INVALID_TOKEN")
    assert await door.info() == Said("RS_OK", 1000)
    assert await door.balance() == Said("RS_OK", 1000)


async def test_a_blocked_player_is_disabled_but_their_rounds_settle(http_door, use):
    door = await http_door()
    assert await door.bet("k1", "rk1", 10) == Said("RS_OK", 990)
    await use(BlockPlayer, int(door.player), "aggregator test", Actor("staff:test"))
    assert await door.info() == Said("RS_ERROR_USER_DISABLED")
    assert await door.bet("k2", "rk2", 10) == Said("RS_ERROR_USER_DISABLED")
    assert await door.win("k1w", "k1", "rk1", 20) == Said("RS_OK", 1010)


async def test_the_aggregators_service_key_bounds_it(http_door, client):
    capped = await http_door(aggregator=CAPPED)
    assert await capped.bet("c1", "rc1", 10) == Said("RS_OK", 990)
    assert await capped.win("c1w", "c1", "rc1", 201) == Said("RS_ERROR_LIMIT_REACHED")
    assert await capped.win("c1w", "c1", "rc1", 200) == Said("RS_OK", 1190)
    revoked = await http_door(aggregator=REVOKED)
    assert await revoked.bet("v1", "rv1", 10) == Said("RS_ERROR_INVALID_PARTNER")
    assert await revoked.balance() == Said("RS_ERROR_INVALID_PARTNER")
    unknown = await client.post("/aggregators/nobody/user/balance", content=b"{}")
    assert unknown.status_code == 404


async def test_bad_input_is_a_signed_unknown_error(http_door, engine):
    door = await http_door()
    for body in (b"not json", b"[]", json.dumps({"user": door.player}).encode()):
        response = await door._client.post(
            f"/aggregators/{door.provider}/transaction/bet",
            content=body,
            headers={SIGNATURE_HEADER: door._key.sign(body)},
        )
        assert response.status_code == 200
        door._ours.verify(response.content, response.headers[SIGNATURE_HEADER])
        assert response.json()["status"] == "RS_ERROR_UNKNOWN"
    # Half a ⭐ is no whole number of XTR's minor units.
    half = {"transaction_uuid": "h1", "round": "rh1", "currency": "XTR", "amount": WIRE // 2}
    answer = await door.post("/transaction/bet", {**half, "token": door.token, "game_code": GAME})
    assert answer["status"] == "RS_ERROR_UNKNOWN"
    assert (await door.bet("h1", "rh1", 1, user="nobody")).status == "RS_ERROR_UNKNOWN"
    # A request_uuid no key can be: refused, echoed, nothing kept.
    for bad_id in ("", "x" * 101, " padded "):
        fields = {**half, "amount": WIRE, "token": door.token, "game_code": GAME}
        body = json.dumps({"user": door.player, "request_uuid": bad_id, **fields}).encode()
        refused = json.loads(await door.send("/transaction/bet", body))
        assert (refused["status"], refused["request_uuid"]) == ("RS_ERROR_UNKNOWN", bad_id)
    async with engine.connect() as conn:
        kept = await conn.scalar(
            text(
                "SELECT count(*) FROM aggregator_answers"
                " WHERE door = :d AND request_id IN ('', :long, ' padded ')"
            ),
            {"d": door.provider, "long": "x" * 101},
        )
    assert kept == 0
    # A user of kilobytes: echoed, too large to keep, answered all the same.
    assert (await door.bet("h1", "rh1", 1, user="9" * 5000)).status == "RS_ERROR_UNKNOWN"
    assert (await books(engine, door.provider, door.player)).records == ()


def _bet_body(door: HttpDoor, request_uuid: str, tx: str, amount: int, **extra) -> dict:
    return {
        "user": door.player,
        "request_uuid": request_uuid,
        "transaction_uuid": tx,
        "round": f"r-{tx}",
        "currency": "XTR",
        "amount": amount * WIRE,
        "token": door.token,
        "game_code": GAME,
        **extra,
    }


async def test_a_repeated_request_gets_the_first_answer_byte_for_byte(http_door, engine):
    door = await http_door()
    fields = _bet_body(door, "req-1", "q1", 25)
    first = await door.send("/transaction/bet", json.dumps(fields).encode())
    assert json.loads(first) == {
        "user": door.player,
        "request_uuid": "req-1",
        "status": "RS_OK",
        "currency": "XTR",
        "balance": 975 * WIRE,
    }
    assert await door.bet("q2", "rq2", 75) == Said("RS_OK", 900)
    # The same request, even spelled otherwise (keys in another order, spaces): the answer
    # kept, with the balance as it was (975 ⭐, not 900), and nothing moves again.
    respelled = json.dumps(dict(reversed(fields.items())), indent=2).encode()
    for body in (json.dumps(fields).encode(), respelled):
        assert await door.send("/transaction/bet", body) == first
    left = await books(engine, door.provider, door.player)
    assert [amount for _, amount, _ in left.legs] == [1000, -25, -75]


async def test_a_request_uuid_reused_for_another_body_is_refused_and_moves_nothing(
    http_door, engine
):
    door = await http_door()
    first = await door.send(
        "/transaction/bet", json.dumps(_bet_body(door, "req-d", "d1", 25)).encode()
    )
    assert json.loads(first)["status"] == "RS_OK"
    others = (
        ("/transaction/bet", _bet_body(door, "req-d", "d1", 30)),  # another amount
        ("/transaction/bet", _bet_body(door, "req-d", "d2", 25)),  # another bet
        (
            "/transaction/win",
            {
                "user": door.player,
                "request_uuid": "req-d",
                "transaction_uuid": "d1w",
                "reference_transaction_uuid": "d1",
                "round": "r-d1",
                "currency": "XTR",
                "amount": 50 * WIRE,
            },
        ),
    )
    for route, fields in others:
        refused = json.loads(await door.send(route, json.dumps(fields).encode()))
        assert refused == {
            "user": door.player,
            "request_uuid": "req-d",
            "status": "RS_ERROR_DUPLICATE_TRANSACTION",
        }, route
    # The refusal was not kept in the first answer's place.
    again = await door.send(
        "/transaction/bet", json.dumps(_bet_body(door, "req-d", "d1", 25)).encode()
    )
    assert again == first
    left = await books(engine, door.provider, door.player)
    assert [amount for _, amount, _ in left.legs] == [1000, -25]
    assert [r[0] for r in left.records] == ["d1"]


async def test_a_forged_request_does_not_take_its_request_uuid(http_door, ours):
    """An answer is kept only for a signed body: a forgery naming a request_uuid cannot
    decide what the real request with that id is answered."""
    door = await http_door()
    forged = json.dumps(_bet_body(door, "req-f", "f1", 1000)).encode()
    answer = json.loads(await door.send("/transaction/bet", forged, signature=ours.sign(forged)))
    assert answer["status"] == "RS_ERROR_INVALID_SIGNATURE"
    real = json.loads(
        await door.send("/transaction/bet", json.dumps(_bet_body(door, "req-f", "f1", 10)).encode())
    )
    assert (real["status"], real["balance"]) == ("RS_OK", 990 * WIRE)


async def test_a_rollbacks_own_transaction_uuid(http_door, engine):
    """A second rollback of a bet, under another transaction_uuid, is a repeat of the undo
    (RS_OK, nothing moves); a rollback's transaction_uuid given to another bet's rollback is
    RS_ERROR_DUPLICATE_TRANSACTION, and that bet stands."""
    door = await http_door()
    assert await door.bet("rb1", "rrb1", 100) == Said("RS_OK", 900)
    assert await door.bet("rb2", "rrb2", 50) == Said("RS_OK", 850)
    assert await door.rollback("rb1-x", "rb1", "rrb1") == Said("RS_OK", 950)
    assert await door.rollback("rb1-y", "rb1", "rrb1") == Said("RS_OK", 950)
    assert await door.rollback("rb1-x", "rb2", "rrb2") == Said("RS_ERROR_DUPLICATE_TRANSACTION")
    left = await books(engine, door.provider, door.player)
    assert [amount for _, amount, _ in left.legs] == [1000, -100, -50, 100]
    assert {tx: state for tx, _, state, _, _ in left.records} == {
        "rb1": "rolled_back",
        "rb2": "debited",
    }
    async with engine.connect() as conn:
        stored = await conn.scalar(
            text(
                "SELECT rollback_transaction_id FROM provider_transactions"
                " WHERE provider = :p AND transaction_id = 'rb1' AND player_id = :pl"
            ),
            {"p": door.provider, "pl": int(door.player)},
        )
    assert stored == "rb1-x"  # the first rollback's


@pytest.fixture
async def served_door(
    aggregator_app, aggregator_settings, theirs, ours, player, use, aggregator_keys
):
    """An aggregator calling the app served by uvicorn on a loopback port: the test client
    runs one request at a time, a real server runs twins at once."""
    import httpx

    from tests.entrypoints.miniapp_browser_kit import serving

    async with (
        serving(aggregator_app, aggregator_settings) as live,
        httpx.AsyncClient(base_url=live.url, timeout=30) as client,
    ):
        pid = await player(1000)
        token = await use(IssueGameSession, int(pid), XTR, GAME, AGGREGATOR)
        yield HttpDoor(client, AGGREGATOR, theirs, ours, pid, token)


@pytest.mark.parametrize("attempt", range(3))
async def test_twin_requests_at_once_move_money_once_and_get_one_answer(
    served_door, engine, attempt
):
    """Two identical requests (one request_uuid, one body) started at the same instant on
    real connections, for a bet, its win, and a bet and its rollback: each moves the money
    once, and both twins get the same bytes."""
    from tests.conftest import race

    door = served_door
    run = f"{secrets.token_hex(4)}-"  # ids are the aggregator's: unique across attempts
    win = {
        "user": door.player,
        "transaction_uuid": f"{run}tw-w",
        "reference_transaction_uuid": f"{run}tw-b",
        "round": f"r-{run}tw-b",
        "currency": "XTR",
        "amount": 300 * WIRE,
    }
    rollback = {
        "user": door.player,
        "transaction_uuid": f"{run}tw2-x",
        "reference_transaction_uuid": f"{run}tw2-b",
        "round": f"r-{run}tw2-b",
        "currency": "XTR",
    }
    calls = (
        ("/transaction/bet", _bet_body(door, f"{run}tw-1", f"{run}tw-b", 100), 900),
        ("/transaction/win", {**win, "request_uuid": f"{run}tw-2"}, 1200),
        ("/transaction/bet", _bet_body(door, f"{run}tw-3", f"{run}tw2-b", 40), 1160),
        ("/transaction/rollback", {**rollback, "request_uuid": f"{run}tw-4"}, 1200),
    )
    for route, fields, balance in calls:
        body = json.dumps(fields).encode()
        twins = await race(2, lambda _: door.send(route, body))  # noqa: B023 - awaited here
        assert twins[0] == twins[1], route
        answer = json.loads(twins[0])
        assert (answer["status"], answer["balance"]) == ("RS_OK", balance * WIRE), route
    left = await books(engine, door.provider, door.player)
    assert [amount for _, amount, _ in left.legs] == [1000, -100, 300, -40, 40]


async def test_an_operator_issues_a_game_session_from_the_cli(servers, http_door):
    import asyncio

    from click.testing import CliRunner

    from entrypoints.cli import main

    door = await http_door()
    env = {
        "CROUPIER_DATABASE_URL": servers.database_url,
        "CROUPIER_REDIS_URL": servers.redis_url,
        "CROUPIER_GAME_SESSION_KEY": SESSION_KEY.hex(),
    }
    command = ["aggregator", "session", AGGREGATOR, door.player, "xtr", GAME]
    issued = await asyncio.to_thread(CliRunner().invoke, main, command, env=env)
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip().splitlines()[-1]  # after the migrations' log lines
    assert await door.balance(token) == Said("RS_OK", 1000)
    assert await door.bet("cli1", "rcli1", 10, token=token) == Said("RS_OK", 990)
    unknown = [*command[:3], "999999999999", *command[4:]]
    refused = await asyncio.to_thread(CliRunner().invoke, main, unknown, env=env)
    assert refused.exit_code != 0
    assert "Traceback" not in refused.output


async def test_an_operator_forgets_old_answers_from_the_cli(servers, http_door):
    """`croupier aggregator forget-answers` keeps the retention's days: an answer given now
    stays, and is still what a repeat gets."""
    import asyncio

    from click.testing import CliRunner

    from entrypoints.cli import main

    door = await http_door()
    body = json.dumps(_bet_body(door, f"cli-{secrets.token_hex(4)}", f"cli-{SUFFIX}", 10)).encode()
    first = await door.send("/transaction/bet", body)
    env = {
        "CROUPIER_DATABASE_URL": servers.database_url,
        "CROUPIER_REDIS_URL": servers.redis_url,
        "CROUPIER_AGGREGATOR_ANSWER_RETENTION_DAYS": "7",
    }
    for extra in ([], ["--older-than-days", "1"]):
        command = ["aggregator", "forget-answers", *extra]
        forgot = await asyncio.to_thread(CliRunner().invoke, main, command, env=env)
        assert forgot.exit_code == 0, forgot.output
        days = extra[-1] if extra else "7"
        assert f"kept answer(s) older than {days} days" in forgot.output
    assert await door.send("/transaction/bet", body) == first


async def test_racing_retries_move_money_once(http_door, engine):
    """An aggregator whose bet and win time out fires the retries together: each id moves the
    money once, on real connections, and every retry answers as the first."""
    import asyncio

    door = await http_door()
    bets = await asyncio.gather(*(door.bet("race-b", "race-r", 100) for _ in range(8)))
    assert set(bets) == {Said("RS_OK", 900)}
    wins = await asyncio.gather(*(door.win("race-w", "race-b", "race-r", 300) for _ in range(8)))
    assert set(wins) == {Said("RS_OK", 1200)}
    left = await books(engine, door.provider, door.player)
    assert [amount for _, amount, _ in left.legs] == [1000, -100, 300]


async def test_books_out_of_reach_are_a_503_not_a_status(http_door, monkeypatch):
    """The aggregator must not read "refused" when nothing was decided: it retries, or rolls
    the bet back, as after a timeout."""
    from application.seamless import SeamlessDebit
    from domain.errors import StorageUnavailable

    async def unreachable(self, command, request=None):
        raise StorageUnavailable("the database connection broke")

    door = await http_door()
    monkeypatch.setattr(SeamlessDebit, "__call__", unreachable)
    fields = {
        "transaction_uuid": "down-1",
        "round": "down-r",
        "currency": "XTR",
        "amount": 5 * WIRE,
        "token": door.token,
        "game_code": GAME,
    }
    body = json.dumps({"user": door.player, "request_uuid": "down", **fields}).encode()
    response = await door._client.post(
        f"/aggregators/{door.provider}/transaction/bet",
        content=body,
        headers={SIGNATURE_HEADER: door._key.sign(body)},
    )
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in response.text
