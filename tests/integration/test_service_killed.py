"""The service process SIGKILLed under load and started again (issue 10): the real `croupier
run` as a subprocess on a database of its own, several gRPC clients placing bets through
PlaceBet and StreamBets and making deposits, the process killed mid-load, restarted on the
same ports, and every call that got no answer repeated with the same bet id or external id.

Afterwards: every acknowledged bet is stored once, as it was acknowledged; a repeat of any of
them is a replay of the first answer; each wallet is its deposits minus its stakes plus its
payouts; nonces have no gap; the restarted relay publishes every event the killed process owed
(each event id reaches the Redis stream at least once); and `croupier reconcile` is clean."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import secrets
import signal
import socket
import sys
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from click.testing import CliRunner
from grpc_health.v1 import health_pb2, health_pb2_grpc
from redis.asyncio import Redis
from sqlalchemy import text

from adapters.clock import SystemClock
from adapters.embedded_servers import ensure_database
from adapters.event_wire.envelope import STREAM
from adapters.ids import UuidV7Generator
from adapters.postgres import migrate
from adapters.postgres.api_keys import SqlApiKeyStore
from adapters.postgres.engine import create_engine
from adapters.postgres.uow import start_unit_of_work_factory
from adapters.seed_cipher import SeedCipher
from application.access import IssueApiKey
from application.bankroll import FundBankroll, FundBankrollCommand
from application.house import HouseBook
from application.registration import RegisterPlayer, RegisterPlayerCommand
from croupier.v1 import betting_pb2, betting_pb2_grpc, common_pb2, wallet_pb2, wallet_pb2_grpc
from domain.games.catalog import GAMES
from domain.money import XTR, Money
from entrypoints.cli import main
from tests.conftest import TEST_PERSONAL_DATA, TEST_PII_INDEX_KEY, TEST_PII_KEYS

pytestmark = pytest.mark.integration

SHARDS = 4
PLAYERS = 6
CLIENTS = 4
BETS_PER_CLIENT = 80  # half through PlaceBet, half through StreamBets
STREAM_CHUNK = 10  # commands per StreamBets call: streams are in flight all through the load
DEPOSIT = 100_000
# The kill comes once this share of each kind of bet has been acknowledged: with the rest
# still to go, calls of both kinds are in flight when it lands.
KILL_AT = 0.3
# Reconnect fast: the default backoff (1 s growing to 120 s) would dominate the test.
CHANNEL_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
)
CALL_TIMEOUT = 20.0  # covers a restart: calls wait for the channel to be ready again
MAX_ATTEMPTS = 20
READY_TIMEOUT = 30.0


_STATES = {betting_pb2.BET_STATE_WON: "won", betting_pb2.BET_STATE_LOST: "lost"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def service_env(url: str, seed_key: bytes, redis_url: str, tmp_path: Path) -> dict[str, str]:
    """The settings of a killed-and-restarted `croupier run` on the test's database and Redis,
    on free ports (its restart keeps them); each test adds its own."""
    return {
        "CROUPIER_DATABASE_URL": url,
        "CROUPIER_REDIS_URL": redis_url,
        "CROUPIER_SEED_KEY": seed_key.hex(),
        "CROUPIER_PII_KEYS": TEST_PII_KEYS,
        "CROUPIER_PII_INDEX_KEY": TEST_PII_INDEX_KEY,
        "CROUPIER_HOUSE_SHARDS": str(SHARDS),
        "CROUPIER_GRPC_PORT": str(_free_port()),
        "CROUPIER_HTTP_PORT": str(_free_port()),
        "CROUPIER_DATA_DIR": str(tmp_path / "data"),
        "CROUPIER_LOG_LEVEL": "WARNING",
        "CROUPIER_RISK_MONITOR_INTERVAL_S": "0",
    }


# `croupier run` in a process that imports everything first and then waits for its settings on
# stdin: a process to restart with is made ready while the first one serves, so the test does
# not wait the many seconds importing aiogram and litestar takes on a busy machine. Once it has
# its settings it is `croupier run` as a supervisor would start it.
_WARM_RUN = (
    "import json, os, sys\n"
    "from entrypoints.cli import main\n"
    "os.environ.update(json.loads(sys.stdin.readline()))\n"
    "main(['run'], prog_name='croupier')\n"
)


class Service:
    """The service's processes, one at a time; their output goes to files shown on failure."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.address = ""
        self.process: asyncio.subprocess.Process | None = None
        self._ready: list[asyncio.subprocess.Process] = []
        self._count = 0

    async def prepare(self) -> None:
        """Start a process as far as it goes without its settings."""
        self._count += 1
        with (self.folder / f"service-{self._count}.log").open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", _WARM_RUN,
                env={k: v for k, v in os.environ.items() if not k.startswith("CROUPIER_")},
                cwd=self.folder, stdin=asyncio.subprocess.PIPE, stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        self._ready.append(process)

    async def start(self, env: dict[str, str]) -> None:
        """Hand the oldest prepared process its settings; wait until it serves."""
        if not self._ready:
            await self.prepare()
        process = self._ready.pop(0)
        assert process.stdin is not None
        process.stdin.write(json.dumps(env).encode() + b"\n")
        await process.stdin.drain()
        self.process = process
        self.address = f"127.0.0.1:{env['CROUPIER_GRPC_PORT']}"
        await self._until_serving()

    async def _until_serving(self) -> None:
        """Poll the health service until it says SERVING (or the process has died)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT
        async with grpc.aio.insecure_channel(self.address, options=CHANNEL_OPTIONS) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            while loop.time() < deadline:
                assert self.process is not None
                if self.process.returncode is not None:
                    raise AssertionError(f"the service exited at start:\n{self.output()}")
                with contextlib.suppress(grpc.aio.AioRpcError):
                    reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                await asyncio.sleep(0.05)
        raise AssertionError(f"no service within {READY_TIMEOUT} s:\n{self.output()}")

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        assert await self.process.wait() == -signal.SIGKILL

    async def stop(self) -> None:
        for process in (self.process, *self._ready):
            if process is None or process.returncode is not None:
                continue
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()

    def output(self) -> str:
        logs = sorted(self.folder.glob("service-*.log"))
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in logs)


@pytest.fixture
async def service(tmp_path):
    """Asked for first: the process to start and the one to restart with import while the
    database is prepared."""
    service = Service(tmp_path)
    await service.prepare()
    await service.prepare()
    yield service
    await service.stop()


@dataclass
class Wager:
    request: betting_pb2.PlaceBetRequest
    answer: betting_pb2.BetResponse | None = None
    attempts: int = 0


@dataclass
class Payment:
    request: wallet_pb2.DepositRequest
    answer: wallet_pb2.DepositResponse | None = None
    attempts: int = 0


class Load:
    """What the clients share: answers counted, the moment to kill, and the rule for errors —
    while the first process runs nothing may fail; once it is killed a call may fail as a
    lost connection does, and is repeated."""

    def __init__(self, unary: int, streamed: int) -> None:
        self.killed = asyncio.Event()
        self.time_to_kill = asyncio.Event()
        self._goal = {"unary": KILL_AT * unary, "stream": KILL_AT * streamed}
        self.acknowledged: Counter[str] = Counter()
        self.before_kill = 0

    def answered(self, wager: Wager, answer: betting_pb2.BetResponse, via: str) -> None:
        assert wager.answer is None, f"bet {wager.request.bet_id} answered twice"
        wager.answer = answer
        self.acknowledged[via] += 1
        if not self.killed.is_set():
            self.before_kill += 1
        if all(self.acknowledged[k] >= goal for k, goal in self._goal.items()):
            self.time_to_kill.set()

    def failed(self, error: grpc.aio.AioRpcError, *, streaming: bool) -> None:
        what = f"{error.code()}: {error.details()}"
        assert self.killed.is_set(), f"a call failed while the service was up: {what}"
        lost = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
        if streaming:
            # grpc.aio's client reports a write to a stream whose server went away as its own
            # INTERNAL "Internal error from Core" (grpc/grpc#36066): also a lost connection.
            lost.add(grpc.StatusCode.INTERNAL)
        assert error.code() in lost, f"not a lost connection: {what}"


async def _place_one_by_one(stub, wagers: list[Wager], load: Load, md) -> None:
    slots = asyncio.Semaphore(8)

    async def place(wager: Wager) -> None:
        async with slots:
            while wager.answer is None:
                assert wager.attempts < MAX_ATTEMPTS, f"bet {wager.request.bet_id} never answered"
                wager.attempts += 1
                try:
                    answer = await stub.PlaceBet(
                        wager.request, metadata=md, timeout=CALL_TIMEOUT, wait_for_ready=True
                    )
                except grpc.aio.AioRpcError as error:
                    load.failed(error, streaming=False)
                    continue
                load.answered(wager, answer, "unary")

    await asyncio.gather(*(place(w) for w in wagers))


async def _stream(betting, wallet, wagers: list[Wager], payments, load: Load, md) -> None:
    """StreamBets, a chunk of commands per stream; before each chunk, one deposit."""
    for start in range(0, len(wagers), STREAM_CHUNK):
        if payments:
            await _deposit(wallet, payments.pop(), load, md)
        pending = {w.request.bet_id: w for w in wagers[start : start + STREAM_CHUNK]}
        while pending:
            for wager in pending.values():
                assert wager.attempts < MAX_ATTEMPTS, f"bet {wager.request.bet_id} never answered"
                wager.attempts += 1
            commands = [
                betting_pb2.BetCommand(correlation_id=bet_id, place=w.request)
                for bet_id, w in pending.items()
            ]
            call = betting.StreamBets(
                iter(commands), metadata=md, timeout=CALL_TIMEOUT, wait_for_ready=True
            )
            try:
                async for result in call:
                    wager = pending.pop(result.correlation_id)
                    assert result.WhichOneof("result") == "ok", result.error
                    load.answered(wager, result.ok, "stream")
            except grpc.aio.AioRpcError as error:
                load.failed(error, streaming=True)


async def _deposit(wallet, payment: Payment, load: Load, md) -> None:
    while payment.answer is None:
        assert payment.attempts < MAX_ATTEMPTS, f"deposit {payment.request.external_id} lost"
        payment.attempts += 1
        try:
            payment.answer = await wallet.Deposit(
                payment.request, metadata=md, timeout=CALL_TIMEOUT, wait_for_ready=True
            )
        except grpc.aio.AioRpcError as error:
            load.failed(error, streaming=False)


def _xtr(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount=amount, currency="XTR")


def _wager(player: str, rng: random.Random) -> Wager:
    game, params = rng.choice(
        [
            ("coin", {"side": "heads"}),
            ("limbo", {"target": "2"}),
            ("dice", {"direction": "over", "target": "50.5"}),
        ]
    )
    return Wager(
        betting_pb2.PlaceBetRequest(
            player_id=player, bet_id=str(uuid.uuid4()), game=game, stake=_xtr(10), params=params
        )
    )


@pytest.fixture
async def database(servers):
    """A database of its own, with a funded bankroll, players and an API key."""
    server = servers.database_url.rpartition("/")[0] + "/postgres"
    url = await asyncio.to_thread(ensure_database, server, "croupier_killed", recreate=True)
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url, pool_size=4)
    key = secrets.token_bytes(32)
    clock, ids = SystemClock(), UuidV7Generator()
    uow = await start_unit_of_work_factory(engine, SHARDS, SeedCipher(key), TEST_PERSONAL_DATA)
    await FundBankroll(uow, clock, ids, HouseBook(SHARDS))(
        FundBankrollCommand(Money(10**12, XTR), "tests", "fund")
    )
    register = RegisterPlayer(uow, clock)
    players = []
    for n in range(PLAYERS):
        registered = await register(
            RegisterPlayerCommand(9_000 + n, currencies=(XTR,), accept_terms=True)
        )
        players.append(str(registered.player.id))
    issued = await IssueApiKey(SqlApiKeyStore(engine), clock)(
        # Caps far above what the load moves: this test is about a killed service.
        "load-generator",
        frozenset({"wallet", "betting"}),
        caps={"XTR": 10**12},
    )
    yield url, engine, key, players, issued.plaintext
    await engine.dispose()


@pytest.fixture
async def events_redis(servers):
    """A Redis database of its own (the stream name is fixed; other tests publish to it)."""
    url = servers.redis_url.rsplit("/", 1)[0] + "/7"
    client = Redis.from_url(url)
    await client.flushdb()
    yield url, client
    await client.flushdb()
    await client.aclose()


async def _scalar(engine, sql: str, **params):
    async with engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar_one()


async def _until(check, what: str, seconds: float = 20.0) -> None:
    """Poll `check` until it holds, failing after `seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await check():
        assert loop.time() < deadline, f"{what} did not happen within {seconds} s"
        await asyncio.sleep(0.05)


async def _stream_event_ids(client: Redis) -> set[str]:
    """The event ids on the relay's Redis stream, read in pages."""
    seen: set[str] = set()
    start = "-"
    while True:
        entries = await client.xrange(STREAM, min=start, max="+", count=5000)
        seen |= {fields[b"event_id"].decode() for _, fields in entries}
        if len(entries) < 5000:
            return seen
        start = "(" + entries[-1][0].decode()


async def test_sigkill_under_load_loses_nothing_acknowledged_and_applies_nothing_twice(
    service, database, events_redis, tmp_path
):
    url, engine, seed_key, players, api_key = database
    redis_url, redis = events_redis
    env = service_env(url, seed_key, redis_url, tmp_path) | {
        "CROUPIER_DB_POOL_SIZE": "10",
        # This load is one player's many bets a second, and deposits in a row.
        "CROUPIER_VELOCITY_BETS_PER_SECOND": "0",
        "CROUPIER_VELOCITY_DEPOSITS_PER_HOUR": "0",
    }
    md = (("x-api-key", api_key),)
    rng = random.Random(secrets.randbits(32))
    per_client = [
        [_wager(rng.choice(players), rng) for _ in range(BETS_PER_CLIENT)] for _ in range(CLIENTS)
    ]
    payments = [
        [
            Payment(
                wallet_pb2.DepositRequest(
                    player_id=rng.choice(players), amount=_xtr(7), external_id=f"load-{c}-{n}"
                )
            )
            for n in range(3)
        ]
        for c in range(CLIENTS)
    ]
    half = BETS_PER_CLIENT // 2
    load = Load(unary=CLIENTS * half, streamed=CLIENTS * (BETS_PER_CLIENT - half))
    channels: list[grpc.aio.Channel] = []
    try:
        # The first process relays once at start and then not for 10 s: what the load writes
        # is still owed when it dies, and the restarted one must deliver it.
        await service.start({**env, "CROUPIER_RELAY_POLL_INTERVAL_MS": "10000"})
        channels += [
            grpc.aio.insecure_channel(service.address, options=CHANNEL_OPTIONS)
            for _ in range(CLIENTS)
        ]
        wallets = [wallet_pb2_grpc.WalletServiceStub(c) for c in channels]
        bettings = [betting_pb2_grpc.BettingServiceStub(c) for c in channels]
        for player in players:
            request = wallet_pb2.DepositRequest(
                player_id=player, amount=_xtr(DEPOSIT), external_id=f"first-{player}"
            )
            await wallets[0].Deposit(request, metadata=md, timeout=CALL_TIMEOUT)

        owed: list[int] = []

        async def kill_mid_load() -> None:
            await load.time_to_kill.wait()
            load.killed.set()
            await service.kill()
            owed.append(
                await _scalar(engine, "SELECT count(*) FROM outbox_events WHERE NOT published")
            )
            await service.start({**env, "CROUPIER_RELAY_POLL_INTERVAL_MS": "10"})

        killer = asyncio.create_task(kill_mid_load())
        await asyncio.gather(
            *(
                _place_one_by_one(bettings[c], per_client[c][:half], load, md)
                for c in range(CLIENTS)
            ),
            *(
                _stream(bettings[c], wallets[c], per_client[c][half:], list(payments[c]), load, md)
                for c in range(CLIENTS)
            ),
        )
        await killer

        wagers = [w for client in per_client for w in client]
        deposits = [p for client in payments for p in client]
        assert load.before_kill > 0  # the kill came mid-load
        assert owed[0] > 0  # with events still owed
        assert sum(w.attempts - 1 for w in wagers) > 0  # and some bets had to be repeated
        assert all(w.answer is not None for w in wagers)
        assert all(p.answer is not None for p in deposits)

        # A repeat of any bet or deposit, after the restart, is a replay of its first answer.
        replays = asyncio.Semaphore(16)

        async def repeat(wager: Wager) -> None:
            async with replays:
                again = await bettings[0].PlaceBet(wager.request, metadata=md, timeout=CALL_TIMEOUT)
            assert again.replayed
            assert again.bet == wager.answer.bet

        await asyncio.gather(*(repeat(w) for w in wagers))
        for payment in deposits:
            again_paid = await wallets[0].Deposit(
                payment.request, metadata=md, timeout=CALL_TIMEOUT
            )
            assert again_paid.replayed
            assert again_paid.transaction_id == payment.answer.transaction_id

        # Every acknowledged bet is stored once, as it was acknowledged; nothing else is.
        async with engine.connect() as conn:
            stored = {
                str(row.id): row
                for row in await conn.execute(
                    text(
                        "SELECT id, player_id, game, stake, state, outcome, payout, nonce,"
                        " server_seed_hash FROM bets"
                    )
                )
            }
        assert sorted(stored) == sorted(w.request.bet_id for w in wagers)
        for wager in wagers:
            bet, row = wager.answer.bet, stored[wager.request.bet_id]
            assert (str(row.player_id), row.game, row.stake) == (
                bet.player_id,
                bet.game,
                bet.stake.amount,
            )
            assert row.state == _STATES[bet.state]
            assert GAMES[row.game].describe(row.outcome) == bet.outcome
            assert row.payout == bet.payout.amount
            assert (row.nonce, row.server_seed_hash) == (
                bet.fairness.nonce,
                bet.fairness.server_seed_hash,
            )

        # Each wallet is its deposits minus its stakes plus its payouts; nonces have no gap.
        credited: dict[str, int] = defaultdict(int)
        for payment in deposits:
            credited[payment.request.player_id] += payment.request.amount.amount
        for player in players:
            mine = [r for r in stored.values() if str(r.player_id) == player]
            balance = await _scalar(
                engine,
                "SELECT balance FROM accounts WHERE kind = 'player_wallet' AND player_id = :p",
                p=int(player),
            )
            assert balance == DEPOSIT + credited[player] + sum(r.payout - r.stake for r in mine)
            assert sorted(r.nonce for r in mine) == list(range(len(mine)))

        # The restarted relay delivers what the killed process owed, each event at least once.
        async def outbox_drained() -> bool:
            unpublished = "SELECT count(*) FROM outbox_events WHERE NOT published"
            return await _scalar(engine, unpublished) == 0

        await _until(outbox_drained, "publishing the whole outbox")
        async with engine.connect() as conn:
            written = {
                str(e)
                for e in (await conn.execute(text("SELECT event_id FROM outbox_events"))).scalars()
            }
        seen = await _stream_event_ids(redis)
        assert written <= seen, f"{len(written - seen)} events never reached Redis"

        # And the books reconcile, as the operator's command sees them.
        result = await asyncio.to_thread(CliRunner().invoke, main, ["reconcile"], env=env)
        assert result.exit_code == 0, result.output
        assert f"{len(wagers)} settled bet(s) recomputed" in result.output
    except BaseException:
        print(service.output())  # shown by pytest with the failure
        raise
    finally:
        for channel in channels:
            await channel.close()
