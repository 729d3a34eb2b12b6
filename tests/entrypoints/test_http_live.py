"""Live updates over WebSocket across two app instances: each is a real uvicorn server in this
process with its own container, both on the same PostgreSQL and Redis, as two machines behind a
load balancer would be."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from dishka import AsyncContainer
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from domain.webapp import sign
from entrypoints.composition.endpoints import Endpoints
from entrypoints.http.live import NOT_IN_URL
from entrypoints.settings import Settings
from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

BOT_TOKEN = "424242:LIVE-TEST-TOKEN"
SECRET_KEY = secrets.token_hex(32)
WAIT = 10.0  # seconds any one expected message may take


@dataclass
class Instance:
    base_url: str
    container: AsyncContainer
    server: uvicorn.Server
    task: asyncio.Task[None]

    def ws(self, path: str, **query: str) -> str:
        url = self.base_url.replace("http://", "ws://") + path
        return f"{url}?{urlencode(query)}" if query else url


def bearer(token: str) -> list[str]:
    """The subprotocol list a browser offers with a token (the Mini App's way)."""
    return ["croupier.v1", f"bearer.{token}"]


async def _start(settings: Settings, endpoints: Endpoints) -> Instance:
    from entrypoints.composition.containers import make_http_container
    from entrypoints.http.app import create_app

    container = make_http_container(settings, endpoints)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(container),
            host="127.0.0.1",
            port=0,  # any free port; read back below
            log_level="warning",
            lifespan="on",
        )
    )
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + WAIT
    while not server.started:  # uvicorn has no 'listening' event
        if task.done():
            task.result()
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return Instance(f"http://127.0.0.1:{port}", container, server, task)


async def _stop(instance: Instance) -> None:
    instance.server.should_exit = True
    await asyncio.wait_for(instance.task, WAIT)  # its lifespan shutdown closes the container


@pytest.fixture(scope="module")
async def instances(servers, tmp_path_factory) -> AsyncIterator[tuple[Instance, Instance]]:
    """Instances A and B: the same secrets (a token from one is good on the other), the same
    database and Redis."""
    seed_key = secrets.token_bytes(32)
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    started = []
    for name in ("a", "b"):
        settings = Settings(
            bot_token=BOT_TOKEN,
            secret_key=SECRET_KEY,
            seed_key=seed_key,
            pii_keys=TEST_PII_KEYS,
            pii_index_key=TEST_PII_INDEX_KEY,
            house_shards=4,
            data_dir=tmp_path_factory.mktemp(f"live-{name}"),
        )
        started.append(await _start(settings, endpoints))
    yield started[0], started[1]
    for instance in started:
        await _stop(instance)


@pytest.fixture
def a(instances) -> Instance:
    return instances[0]


@pytest.fixture
def b(instances) -> Instance:
    return instances[1]


@pytest.fixture
async def redis(servers) -> AsyncIterator[Redis]:
    client = Redis.from_url(servers.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def http_a(a) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=a.base_url, timeout=WAIT) as client:
        yield client


def _init_data(user_id: int) -> str:
    fields = {
        "query_id": secrets.token_hex(8),
        "user": json.dumps({"id": user_id, "first_name": "Ann", "language_code": "en"}),
        "auth_date": str(int(time.time()) - 5),
    }
    return urlencode({**fields, "hash": sign(fields, BOT_TOKEN)})


@dataclass(frozen=True)
class Player:
    id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def player(http_a, new_telegram_id):
    """A new player with a Mini App session opened on instance A, past the 18+ gate."""

    async def make() -> Player:
        opened = await http_a.post(
            "/api/v1/app/session", json={"init_data": _init_data(new_telegram_id())}
        )
        assert opened.status_code == 201, opened.text
        found = Player(opened.json()["player_id"], opened.json()["token"])
        assert (await http_a.post("/api/v1/app/terms", headers=found.headers)).status_code == 200
        return found

    return make


@pytest.fixture
def staff_token(a, http_a):
    """A staff member's access token, logged in on instance A."""
    from application.staff import Actor, CreateStaff
    from domain.staff import parse_role

    async def make(role: str = "viewer") -> str:
        name = f"live-{role}-{secrets.token_hex(4)}"
        password = "correct horse battery staple"
        async with a.container() as scope:
            await (await scope.get(CreateStaff))(name, password, parse_role(role), Actor("tests"))
        response = await http_a.post(
            "/api/v1/auth/login", json={"username": name, "password": password}
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    return make


async def receive(ws: ClientConnection, within: float = WAIT) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), within))
    assert isinstance(message, dict)
    return message


async def receive_until(ws: ClientConnection, kind: str) -> dict[str, Any]:
    """The first message of type `kind`, skipping others (events of earlier steps)."""
    async with asyncio.timeout(WAIT):
        while True:
            message = await receive(ws)
            if message["type"] == kind:
                return message


def envelope(event_type: str, player_id: int | None = None, **data: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "version": 1,
        "aggregate_type": "test",
        "aggregate_id": "1",
        "sequence": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "player_ids": [] if player_id is None else [player_id],
        "data": data,
    }


async def refusal(url: str, **options: Any) -> tuple[int | None, str | None]:
    """Connect and expect the server to close at once: its close code and reason."""
    async with connect(url, open_timeout=WAIT, **options) as ws:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), WAIT)
        return ws.close_code, ws.close_reason


# -- the player feed ---------------------------------------------------------------------------


async def test_a_player_on_instance_b_receives_what_is_published_for_them(b, redis, player):
    ann = await player()  # her session was opened on instance A
    async with connect(
        b.ws("/api/v1/app/live"), subprotocols=["croupier.v1", f"bearer.{ann.token}"]
    ) as ws:
        assert ws.subprotocol == "croupier.v1"
        hello = await receive(ws)
        assert hello == {"type": "hello", "channel": "player", "player_id": ann.id, "live": True}

        sent = envelope("bet.settled", ann.id, payout=20)
        raw = json.dumps(sent, separators=(",", ":"))
        assert await redis.publish(f"croupier:live:player:{ann.id}", raw) >= 1
        assert await asyncio.wait_for(ws.recv(), WAIT) == raw  # passed on unchanged

        await ws.send(json.dumps({"type": "ping"}))
        assert await receive(ws) == {"type": "pong"}


async def test_each_player_gets_only_their_own_messages_on_every_instance(a, b, redis, player):
    ann, bob = await player(), await player()
    async with (
        connect(b.ws("/api/v1/app/live"), subprotocols=bearer(ann.token)) as ann_ws,
        connect(a.ws("/api/v1/app/live"), additional_headers=bob.headers) as bob_ws,
    ):
        assert (await receive(ann_ws))["player_id"] == ann.id
        assert (await receive(bob_ws))["player_id"] == bob.id
        for_bob = envelope("ledger.transaction_posted", bob.id)
        for_ann = envelope("ledger.transaction_posted", ann.id)
        await redis.publish(f"croupier:live:player:{bob.id}", json.dumps(for_bob))
        await redis.publish(f"croupier:live:player:{ann.id}", json.dumps(for_ann))
        # Published in this order on one connection, so delivered in this order: Ann's first
        # message being her own proves Bob's was not sent to her.
        assert await receive(ann_ws) == for_ann
        assert await receive(bob_ws) == for_bob
        # Not JSON, or no type: dropped, never passed on.
        await redis.publish(f"croupier:live:player:{ann.id}", b"\xff not json")
        await redis.publish(f"croupier:live:player:{ann.id}", json.dumps([1, 2]))
        last = envelope("bet.placed", ann.id)
        await redis.publish(f"croupier:live:player:{ann.id}", json.dumps(last))
        assert await receive(ann_ws) == last


async def test_missing_invalid_or_expired_player_tokens_are_refused_with_1008(
    b, player, staff_token
):
    from adapters.tokens import JwtPlayerSessions

    ann = await player()
    url = b.ws("/api/v1/app/live")
    code, reason = await refusal(url)
    assert code == 1008
    assert "token" in (reason or "")
    assert (await refusal(b.ws("/api/v1/app/live"), subprotocols=bearer("x" * 40)))[0] == 1008
    assert (await refusal(url, subprotocols=["croupier.v1", "bearer.forged"]))[0] == 1008
    expired, _ = JwtPlayerSessions(SECRET_KEY.encode()).issue(
        ann.id, datetime.now(UTC) - timedelta(hours=1)
    )
    assert (await refusal(b.ws("/api/v1/app/live"), subprotocols=bearer(expired)))[0] == 1008
    # A staff token is no player session.
    assert (
        await refusal(b.ws("/api/v1/app/live"), subprotocols=bearer(await staff_token("admin")))
    )[0] == 1008


async def test_a_token_in_the_url_is_refused_even_when_good_and_is_never_logged(
    a, b, player, staff_token, caplog
):
    from entrypoints.observability.logs import log_handler
    from entrypoints.settings import LogFormat

    ann = await player()
    staff = await staff_token("viewer")
    # The process's own handler, as `croupier run` installs it on the root (these servers keep
    # uvicorn's logging config, which stops its lines short of the root: the handler goes on
    # uvicorn's logger instead); uvicorn logs each socket's path and query string at INFO.
    stream = io.StringIO()
    handler = log_handler(LogFormat.TEXT, stream)
    uvicorn_log = logging.getLogger("uvicorn.error")
    uvicorn_log.addHandler(handler)
    caplog.set_level(logging.INFO, logger="uvicorn.error")
    try:
        for url, token in (
            (b.ws("/api/v1/app/live", token=ann.token), ann.token),
            (a.ws("/api/v1/staff/live", token=staff), staff),
        ):
            code, reason = await refusal(url)
            assert (code, reason) == (1008, NOT_IN_URL)
            # Refused before it was read: even a good token in a URL opens nothing.
            code, reason = await refusal(url, subprotocols=bearer(token))
            assert (code, reason) == (1008, NOT_IN_URL)
    finally:
        uvicorn_log.removeHandler(handler)
    logged = stream.getvalue()
    assert '"WebSocket /api/v1/app/live?token=[redacted]"' in logged  # uvicorn's own line
    for token in (ann.token, staff):
        assert token not in logged


async def test_a_session_that_expires_while_connected_is_closed_with_1008(b, player, monkeypatch):
    from adapters.tokens import JwtPlayerSessions
    from entrypoints.http import live

    monkeypatch.setattr(live, "RECHECK_SECONDS", 0.2)
    ann = await player()
    # Issued so that it runs out two seconds from now.
    token, expires = JwtPlayerSessions(SECRET_KEY.encode()).issue(
        ann.id, datetime.now(UTC) - timedelta(minutes=30) + timedelta(seconds=2)
    )
    async with connect(b.ws("/api/v1/app/live"), subprotocols=bearer(token)) as ws:
        assert (await receive(ws))["type"] == "hello"
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), WAIT)
        assert ws.close_code == 1008
        assert datetime.now(UTC) >= expires - timedelta(seconds=1)


BLOCKED_REASON = "this account is blocked; contact support"


async def test_blocking_a_player_closes_their_sockets_on_every_instance(
    a, b, player, uow_factory, clock, event_relay
):
    """The block writes `player.blocked` with it; the relay publishes it on the player's
    channel, and each instance passes it on as the socket's last message and closes it."""
    from application.player_admin import BlockPlayer
    from application.staff import Actor

    ann, bob = await player(), await player()
    async with (
        event_relay(),
        connect(a.ws("/api/v1/app/live"), subprotocols=bearer(ann.token)) as on_a,
        connect(b.ws("/api/v1/app/live"), subprotocols=bearer(ann.token)) as on_b,
        connect(b.ws("/api/v1/app/live"), subprotocols=bearer(bob.token)) as bobs,
    ):
        for ws in (on_a, on_b, bobs):
            assert (await receive(ws))["type"] == "hello"
        await BlockPlayer(uow_factory, clock)(ann.id, "fraud review", Actor("staff:ops"))
        for ws in (on_a, on_b):
            last = await receive_until(ws, "player.blocked")
            assert last["data"]["status"] == "blocked"
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), WAIT)
            assert (ws.close_code, ws.close_reason) == (1008, BLOCKED_REASON)
        await bobs.send(json.dumps({"type": "ping"}))
        assert await receive_until(bobs, "pong") == {"type": "pong"}  # Bob plays on
    assert await refusal(b.ws("/api/v1/app/live"), subprotocols=bearer(ann.token)) == (
        1008,
        BLOCKED_REASON,
    )


async def test_a_blocked_players_socket_closes_at_the_next_check_without_the_event(
    b, player, uow_factory, clock, monkeypatch
):
    """No relay runs here, so the event is not published: the periodic check of the session
    reads the standing and closes the socket all the same."""
    from application.player_admin import BlockPlayer
    from application.staff import Actor
    from entrypoints.http import live

    monkeypatch.setattr(live, "RECHECK_SECONDS", 0.2)
    ann = await player()
    async with connect(b.ws("/api/v1/app/live"), subprotocols=bearer(ann.token)) as ws:
        assert (await receive(ws))["type"] == "hello"
        await BlockPlayer(uow_factory, clock)(ann.id, "fraud review", Actor("staff:ops"))
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), WAIT)
        assert (ws.close_code, ws.close_reason) == (1008, BLOCKED_REASON)


# -- the staff feed ----------------------------------------------------------------------------


async def test_the_staff_feed_needs_a_staff_token_and_carries_staff_events(
    a, b, redis, player, staff_token
):
    token = await staff_token("viewer")
    async with connect(
        a.ws("/api/v1/staff/live"), subprotocols=["croupier.v1", f"bearer.{token}"]
    ) as ws:
        hello = await receive(ws)
        assert hello["type"] == "hello"
        assert hello["channel"] == "staff"
        assert hello["role"] == "viewer"
        assert hello["live"] is True
        flag = envelope("risk.flag_raised", 7, kind="large_win")
        await redis.publish("croupier:live:staff", json.dumps(flag))
        assert await receive(ws) == flag

    ann = await player()
    url = b.ws("/api/v1/staff/live")
    assert (await refusal(url))[0] == 1008
    assert (await refusal(url, additional_headers={"Authorization": "Bearer nope"}))[0] == 1008
    # A player's session token cannot open the staff feed, in either place.
    assert (await refusal(url, subprotocols=[f"bearer.{ann.token}"]))[0] == 1008
    assert (await refusal(url, additional_headers=ann.headers))[0] == 1008


# -- Redis going away --------------------------------------------------------------------------


async def test_sockets_stay_open_when_the_feed_loses_redis_and_resume_after(b, redis, player):
    from adapters.redis_live import RedisLiveFeed
    from application.ports import LiveFeed

    ann = await player()
    async with connect(b.ws("/api/v1/app/live"), subprotocols=bearer(ann.token)) as ws:
        assert (await receive(ws))["live"] is True
        feed = await b.container.get(LiveFeed)
        assert isinstance(feed, RedisLiveFeed)
        # Cut instance B's subscription, as a Redis restart or a network failure would.
        clients = await redis.execute_command("CLIENT", "LIST", "TYPE", "pubsub")
        text = clients.decode() if isinstance(clients, bytes) else str(clients)
        ids = [
            field.split("=", 1)[1]
            for line in text.splitlines()
            if f"name={feed.client_name} " in line + " "
            for field in line.split()
            if field.startswith("id=")
        ]
        assert ids, text
        for client_id in ids:
            await redis.execute_command("CLIENT", "KILL", "ID", client_id)

        # The socket stays open; once resubscribed the client is told it may have missed
        # events, and new ones flow again.
        resync = await receive(ws)
        assert resync["type"] == "resync"
        after = envelope("bet.settled", ann.id)
        await redis.publish(f"croupier:live:player:{ann.id}", json.dumps(after))
        assert await receive(ws) == after


# -- end to end: database, relay, Redis, the other instance ------------------------------------


async def test_a_bet_on_instance_a_pushes_to_a_client_connected_to_instance_b(
    a, b, http_a, player, credit, fund_bankroll, unique_key
):
    """The bet is placed through A's Mini App API; its events go into the outbox with it, the
    relay (as `croupier run` starts it) publishes them, and B passes them to the client."""
    from application.postings import CreditDepositCommand
    from application.relay import OutboxRelay
    from domain.money import XTR, Money

    ann = await player()
    await fund_bankroll()
    await credit(CreditDepositCommand(ann.id, Money(1000, XTR), unique_key("live")))
    relay = await a.container.get(OutboxRelay)
    stop = asyncio.Event()
    relaying = asyncio.create_task(relay.run(stop))
    try:
        async with connect(b.ws("/api/v1/app/live"), subprotocols=bearer(ann.token)) as ws:
            assert (await receive(ws))["live"] is True
            body = {
                "game": "coin",
                "stake": 10,
                "params": {"side": "heads"},
                "request_id": str(uuid.uuid4()),
            }
            played = await http_a.post("/api/v1/app/play", json=body, headers=ann.headers)
            assert played.status_code == 200, played.text
            bet = played.json()["bet"]
            balance = played.json()["balance"]["amount"]

            steps: list[str] = []  # this bet's events, in the order they arrived
            # Generous: a relay in another test process may hold the outbox lock for a moment,
            # and events of earlier tests may be queued before these.
            async with asyncio.timeout(60):
                while "bet.played" not in steps:
                    message = await receive(ws, 60)
                    assert ann.id in message["player_ids"]
                    if message["data"].get("bet_id") == bet["id"]:
                        steps.append(message["type"])
                        played_event = message
            # Played in one transaction: one event carries the bet and the wallet's balance.
            assert steps == ["bet.played"]
            assert played_event["aggregate_type"] == "player"
            data = played_event["data"]
            assert (data["state"], data["payout"]) == (bet["state"], bet["payout"] or 0)
            assert [
                change["balance"]
                for change in data["balances"]
                if change["account_kind"] == "player_wallet"
            ] == [balance]
    finally:
        stop.set()
        await asyncio.wait_for(relaying, WAIT)


# -- crash rounds ------------------------------------------------------------------------------


async def test_the_crash_screen_over_http_and_the_live_socket(
    a, http_a, player, engine, uow_factory, clock, ids, house, credit, fund_bankroll
):
    """The Mini App's crash contract (docs/miniapp.md): GET the round, bet, cash out, and the
    round's changes on the live socket once the client subscribes to them."""
    import itertools

    from adapters.postgres.crash import SqlLeaderLock
    from adapters.postgres.crash_chain import commit_chain, set_salt
    from application.crash import CrashDriver, CrashPolicy, SettleCrashedRound
    from application.postings import CreditDepositCommand
    from domain.crash import crash_point, first_link
    from domain.money import XTR, Money
    from tests.crash_cleanup import finish_every_round

    for i in itertools.count(secrets.randbelow(10**12)):
        secret = f"live-crash-{i:012d}".encode()
        if 115 <= crash_point(first_link(secret), "live") <= 125:
            break
    policy = CrashPolicy(betting_seconds=1.5, watch=0.02)
    settle = SettleCrashedRound(uow_factory, clock, ids, house)
    await finish_every_round(uow_factory, settle)  # rounds other tests left
    async with engine.begin() as conn:
        committed = await commit_chain(conn, 1, secret=secret)
        await set_salt(conn, committed.id, "live")
    driver = CrashDriver(uow_factory, clock, SqlLeaderLock(engine), settle, policy)
    ann = await player()
    await fund_bankroll()
    await credit(CreditDepositCommand(ann.id, Money(1000, XTR), f"live-{uuid.uuid4()}"))

    async with connect(a.ws("/api/v1/app/live"), subprotocols=bearer(ann.token)) as ws:
        assert (await receive(ws))["type"] == "hello"
        await driver.step()  # the round opens
        await ws.send(json.dumps({"type": "subscribe", "to": "crash"}))
        first = await receive(ws)
        assert first["type"] == "crash.betting_open"
        round_id = first["round"]["round_id"]
        now = (await http_a.get("/api/v1/app/crash", headers=ann.headers)).json()
        assert now["round"]["round_id"] == round_id
        assert now["round"]["phase"] == "betting"
        assert now["round"]["round_hash"] is None
        assert now["my_bets"] == []
        bet = {"stake": 100, "currency": "XTR", "request_id": str(uuid.uuid4())}
        placed = await http_a.post("/api/v1/app/crash/bets", json=bet, headers=ann.headers)
        assert placed.status_code == 200, placed.text
        assert placed.json()["balance"]["amount"] == 900
        bad = {"stake": 5, "currency": "XTR", "request_id": str(uuid.uuid4()), "auto_cash_out": "x"}
        refused = await http_a.post("/api/v1/app/crash/bets", json=bad, headers=ann.headers)
        assert refused.status_code in (400, 422), refused.text
        stop = asyncio.Event()

        async def drive() -> None:
            while not stop.is_set():
                wait = await driver.step()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), max(wait, 0.01))

        driving = asyncio.create_task(drive())
        try:
            assert (await receive(ws))["type"] == "crash.started"
            cashed = await http_a.post(
                "/api/v1/app/crash/cashout",
                json={"bet_id": bet["request_id"]},
                headers=ann.headers,
            )
            assert cashed.status_code == 200, cashed.text
            multiplier = cashed.json()["cashed_out_at"]
            cash_out = await receive(ws)
            assert cash_out["type"] == "crash.cashed_out"
            assert cash_out["bet_id"] == bet["request_id"]
            assert cash_out["multiplier"] == multiplier
            assert cash_out["mine"] is True
            assert "player_id" not in cash_out
            crashed = await receive(ws)
            assert crashed["type"] == "crash.crashed"
            assert len(crashed["round"]["round_hash"]) == 64
        finally:
            stop.set()
            await driving
