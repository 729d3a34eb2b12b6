"""Staff accounts and logins on in-memory fakes (tests/fake_staff.py): creating a member, a
login with its audit, the same answer for every failure, the throttle, the second factor, and
tokens and API keys checked, without a database, Redis or real cryptography."""

from __future__ import annotations

import pytest

from application.staff import (
    Actor,
    AuthenticateStaff,
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


async def test_a_second_factor_once_enabled_is_required(office):
    db, clock, member, login, _ = office
    enrolment = await EnableTotp(db, clock, FakeCodes())(member, ADMIN)
    with pytest.raises(Unauthenticated):
        await login("alice", PASSWORD, None, "10.0.0.9")
    session = await login("alice", PASSWORD, enrolment.secret[-6:], "10.0.0.9")
    assert session.member.totp_enabled


async def test_a_staff_key_authenticates_as_its_member_until_revoked(office):
    db, clock, member, _, authenticate = office
    issued = await IssueStaffKey(db, clock)(member, "reports bot", ADMIN)
    assert await authenticate.by_key(issued.plaintext) == member
    with pytest.raises(Unauthenticated):
        await authenticate.by_key(issued.plaintext[:-1] + "x")
    async with db() as uow:
        assert await uow.staff.revoke_key(issued.key.key_id, clock.now())
        await uow.commit()
    with pytest.raises(Unauthenticated, match="revoked"):
        await authenticate.by_key(issued.plaintext)
