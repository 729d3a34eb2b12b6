"""The staff login's adapters under attack: a TOTP code replayed concurrently on PostgreSQL,
the Redis throttle checked and counted atomically (a hundred concurrent guesses, five
checked), throttling per (account, address) with a per-account budget that the owner's known
address does not spend, and Argon2 run off the event loop."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time

import pyotp
import pytest
from redis.asyncio import Redis

from adapters.login_throttle import RedisLoginThrottle
from adapters.passwords import Argon2Hasher
from adapters.totp import TotpCodes
from application.staff import Actor, ConfirmTotp, CreateStaff, EnableTotp, Login
from domain.errors import RateLimited, Unauthenticated
from domain.staff import Role
from tests.fake_staff import FakeCodes, FakeHasher, FakeThrottle, FakeTokens
from tests.fakes import FakeClock, FakeDatabase

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"


@pytest.fixture
async def redis(servers):
    client = Redis.from_url(servers.redis_url)
    yield client
    async for key in client.scan_iter("croupier:login-fail:*"):
        await client.delete(key)
    await client.aclose()


async def test_a_hundred_concurrent_guesses_check_only_the_limit(redis):
    db, clock, hasher = FakeDatabase(), FakeClock(), FakeHasher()
    name = f"target-{secrets.token_hex(3)}"
    await CreateStaff(db, clock, hasher)(name, PASSWORD, Role.FINANCE, Actor("tests"))
    throttle = RedisLoginThrottle(redis, per_pair=5)
    login = Login(db, clock, hasher, FakeTokens(), throttle, FakeCodes())

    async def guess(n: int) -> type[Exception]:
        try:
            await login(name, f"guess {n}", None, "203.0.113.7")
        except (Unauthenticated, RateLimited) as refused:
            return type(refused)
        raise AssertionError("a guess got in")

    before = hasher.verifications
    answers = await asyncio.gather(*(guess(n) for n in range(100)))
    assert hasher.verifications - before == 5
    assert answers.count(RateLimited) == 95


async def test_the_owner_gets_in_past_a_guesser_and_a_spent_budget(redis):
    throttle = RedisLoginThrottle(redis, per_pair=3, per_address=20, per_account=6)
    account = f"owner-{secrets.token_hex(3)}"
    assert await throttle.admit(account, "198.51.100.1")
    await throttle.succeeded(account, "198.51.100.1")  # the owner's usual address
    for _ in range(3):
        assert await throttle.admit(account, "203.0.113.66")
    assert not await throttle.admit(account, "203.0.113.66")  # that guesser waits
    assert await throttle.admit(account, "203.0.113.67")
    assert await throttle.admit(account, "203.0.113.68")
    assert await throttle.admit(account, "203.0.113.68")
    assert not await throttle.admit(account, "203.0.113.69")  # six spent: new addresses wait
    assert await throttle.admit(account, "198.51.100.1")  # the owner does not
    assert await throttle.admit(f"other-{account}", "203.0.113.69")  # nor other accounts


async def test_one_address_spraying_accounts_stops_at_its_limit(redis):
    throttle = RedisLoginThrottle(redis, per_pair=5, per_address=4, per_account=50)
    address = f"192.0.2.{secrets.randbelow(250)}"
    admitted = [
        await throttle.admit(f"spray-{n}-{secrets.token_hex(2)}", address) for n in range(6)
    ]
    assert admitted == [True] * 4 + [False] * 2


async def test_password_hashing_runs_in_worker_threads_not_the_loop():
    hasher = Argon2Hasher(fast=True)
    try:
        hashed = await hasher.hash(PASSWORD)
        assert await hasher.verify(hashed, PASSWORD)
        assert not await hasher.verify(hashed, "wrong")
        assert hasher.worker_threads
        assert threading.get_ident() not in hasher.worker_threads
    finally:
        hasher.close()


async def test_the_loop_keeps_answering_while_logins_hash():
    """Generous bounds: with the real cost, eight verifications take a while; a ticker on the
    loop must still run every few milliseconds rather than stall for whole hashes."""
    hasher = Argon2Hasher()
    try:
        hashed = await hasher.hash(PASSWORD)
        gaps: list[float] = []
        done = asyncio.Event()

        async def ticker() -> None:
            last = time.perf_counter()
            while not done.is_set():
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        ticking = asyncio.create_task(ticker())
        started = time.perf_counter()
        await asyncio.gather(*(hasher.verify(hashed, "wrong") for _ in range(8)))
        hashing = time.perf_counter() - started
        done.set()
        await ticking
        # On the loop the ticker would not run at all while hashing: one gap as long as it all.
        assert max(gaps) < max(0.5, hashing / 2)
        assert len(gaps) >= 3
    finally:
        hasher.close()


async def test_one_code_sent_ten_times_at_once_logs_in_once(uow_factory, clock):
    """The used step is recorded by one conditional UPDATE: concurrent replays of a code
    cannot all see it unused."""
    hasher, codes = Argon2Hasher(fast=True), TotpCodes()
    try:
        name = f"replay-{secrets.token_hex(3)}"
        member = await CreateStaff(uow_factory, clock, hasher)(
            name, PASSWORD, Role.FINANCE, Actor("tests")
        )
        secret = (
            await EnableTotp(uow_factory, clock, codes, hasher, FakeThrottle(100, 100))(
                member, PASSWORD, None, Actor("tests")
            )
        ).secret
        totp = pyotp.TOTP(secret)
        await ConfirmTotp(uow_factory, clock, codes)(member, totp.now(), Actor("tests"))
        login = Login(uow_factory, clock, hasher, FakeTokens(), FakeThrottle(100, 100), codes)
        code = totp.at(time.time() + 30)

        async def attempt() -> bool:
            try:
                await login(name, PASSWORD, code, "198.51.100.20")
            except Unauthenticated:
                return False
            return True

        assert sorted(await asyncio.gather(*(attempt() for _ in range(10)))) == [False] * 9 + [True]
        async with uow_factory() as uow:
            assert await uow.staff.pending_totp_secret(member.id) is None
    finally:
        hasher.close()
