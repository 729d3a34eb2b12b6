"""Staff accounts and logins on in-memory fakes (tests/fake_staff.py): creating a member, a
login with its audit, the same answer for every failure, the throttle, the second factor, and
tokens and API keys checked, without a database, Redis or real cryptography."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace

import pytest

from application.staff import (
    Actor,
    AuthenticateStaff,
    ConfirmTotp,
    CreateStaff,
    EnableTotp,
    IssueStaffKey,
    Login,
)
from domain.errors import RateLimited, Unauthenticated
from domain.staff import AuditAction, Role
from tests.fake_staff import FakeCodes, FakeHasher, FakeThrottle, FakeTokens
from tests.fakes import FakeClock, FakeDatabase

ADMIN = Actor("staff:root", "127.0.0.1")
PASSWORD = "correct horse battery staple"


@pytest.fixture
async def office():
    db, clock = FakeDatabase(), FakeClock()
    hasher, tokens, throttle, codes = FakeHasher(), FakeTokens(), FakeThrottle(3), FakeCodes()
    member = await CreateStaff(db, clock, hasher)("alice", PASSWORD, Role.FINANCE, ADMIN)
    login = Login(db, clock, hasher, tokens, throttle, codes)
    return db, clock, member, login, AuthenticateStaff(db, clock, tokens)


async def test_a_login_gives_a_token_that_authenticates_until_it_expires(office):
    db, clock, member, login, authenticate = office
    session = await login("Alice", PASSWORD, None, "10.0.0.9")
    assert session.member == member
    assert await authenticate.by_token(session.token) == member
    actions = [e.action for e in db.state.audit]
    assert actions == [AuditAction.STAFF_CREATED, AuditAction.LOGIN]
    clock.advance(minutes=31)
    with pytest.raises(Unauthenticated, match="expired"):
        await authenticate.by_token(session.token)


async def test_every_failure_gives_one_answer_and_the_throttle_stops_guessing(office):
    db, _, _, login, _ = office
    answers = set()
    for username, password in (("alice", "wrong"), ("nobody", PASSWORD), ("alice", "")):
        with pytest.raises(Unauthenticated) as failed:
            await login(username, password, None, "10.0.0.9")
        answers.add(failed.value.message)
    assert len(answers) == 1
    with pytest.raises(Unauthenticated):
        await login("alice", "guess", None, "10.0.0.9")  # alice's third failure
    # Now even the right password waits out the throttle: nothing tells a guess it was right.
    with pytest.raises(RateLimited):
        await login("alice", PASSWORD, None, "10.0.0.9")
    failures = [e for e in db.state.audit if e.action is AuditAction.LOGIN_FAILED]
    assert len(failures) == 5  # the rate-limited attempt is recorded too
    assert all(e.actor == "anonymous" for e in failures)


async def test_a_second_factor_once_confirmed_is_required(office):
    db, clock, member, login, _ = office
    codes = FakeCodes()
    enrolment = await EnableTotp(db, clock, codes, FakeHasher(), FakeThrottle())(
        member, PASSWORD, None, ADMIN
    )
    await ConfirmTotp(db, clock, codes)(member, codes.code(enrolment.secret, clock.now()), ADMIN)
    with pytest.raises(Unauthenticated):
        await login("alice", PASSWORD, None, "10.0.0.9")
    clock.advance(seconds=30)  # the confirming code's step is used; the next one is fresh
    session = await login("alice", PASSWORD, codes.code(enrolment.secret, clock.now()), "10.0.0.9")
    assert session.member.totp_enabled


async def test_a_staff_key_authenticates_as_its_member_until_revoked(office):
    db, clock, member, _, authenticate = office
    issued = await IssueStaffKey(db, clock, FakeCodes(), FakeThrottle())(
        member, "reports bot", ADMIN
    )
    assert await authenticate.by_key(issued.plaintext) == member
    with pytest.raises(Unauthenticated):
        await authenticate.by_key(issued.plaintext[:-1] + "x")
    async with db() as uow:
        assert await uow.staff.revoke_key(issued.key.key_id, clock.now())
        await uow.commit()
    with pytest.raises(Unauthenticated, match="revoked"):
        await authenticate.by_key(issued.plaintext)


async def test_an_unknown_name_costs_one_verification_like_a_wrong_password(office):
    """Equal work, counted rather than timed: an unknown name used to hash a dummy password and
    then verify it (twice a wrong password's time, which told names that exist)."""
    db, clock, _, _, _ = office
    hasher = FakeHasher()
    login = Login(db, clock, hasher, FakeTokens(), FakeThrottle(10), FakeCodes())
    work = []
    for username in ("alice", "nobody", "alice", "nobody"):
        hashes, verifications = hasher.hashes, hasher.verifications
        with pytest.raises(Unauthenticated):
            await login(username, "wrong password", None, "10.0.0.9")
        work.append((hasher.hashes - hashes, hasher.verifications - verifications))
    # The first attempt of a process hashes the dummy once, whichever name it names.
    assert work[1:] == [(0, 1)] * 3


async def test_a_disabled_account_costs_the_same_verification(office):
    db, clock, member, _, _ = office
    stored, password_hash, secret = db.state.staff[member.id]
    db.state.staff[member.id] = (replace(stored, disabled=True), password_hash, secret)
    hasher = FakeHasher()
    login = Login(db, clock, hasher, FakeTokens(), FakeThrottle(10), FakeCodes())
    with pytest.raises(Unauthenticated):
        await login("nobody", PASSWORD, None, "10.0.0.9")
    before = hasher.verifications
    with pytest.raises(Unauthenticated):
        await login("alice", PASSWORD, None, "10.0.0.9")
    assert hasher.verifications - before == 1


async def test_concurrent_guesses_are_counted_before_any_password_is_checked(office):
    db, clock, _, _, _ = office
    hasher = FakeHasher()
    login = Login(db, clock, hasher, FakeTokens(), FakeThrottle(5), FakeCodes())
    hashed_dummy = 1  # the first attempt of a process hashes the dummy once

    async def guess(n: int) -> type[Exception]:
        try:
            await login("alice", f"guess {n}", None, "10.0.0.66")
        except (Unauthenticated, RateLimited) as refused:
            return type(refused)
        raise AssertionError("a guess got in")

    answers = await asyncio.gather(*(guess(n) for n in range(100)))
    assert hasher.verifications == 5
    assert hasher.hashes == hashed_dummy
    assert answers.count(RateLimited) == 95


async def test_a_guesser_elsewhere_does_not_lock_the_owner_out(office):
    """Throttled per (account, address): an attacker's failures close their own address only;
    many addresses together spend the account's budget, which closes it to new addresses but
    not to one the owner logged in from before."""
    db, clock, _, _, _ = office
    login = Login(db, clock, FakeHasher(), FakeTokens(), FakeThrottle(3, 10), FakeCodes())
    await login("alice", PASSWORD, None, "10.0.0.9")  # the owner's usual address
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            await login("alice", "guess", None, "10.6.6.6")
    with pytest.raises(RateLimited):
        await login("alice", PASSWORD, None, "10.6.6.6")  # right or wrong: this address waits
    assert (await login("alice", PASSWORD, None, "10.0.0.9")).member.username == "alice"
    for n in range(20):  # a botnet: three guesses each from many addresses
        for _ in range(3):
            with contextlib.suppress(Unauthenticated, RateLimited):
                await login("alice", "guess", None, f"10.7.0.{n}")
    with pytest.raises(RateLimited):
        await login("alice", PASSWORD, None, "10.8.0.1")  # the budget is spent for new ones
    assert (await login("alice", PASSWORD, None, "10.0.0.9")).member.username == "alice"
