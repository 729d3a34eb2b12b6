"""A staff member's second factor and keys on in-memory fakes (tests/fake_staff.py): a code
works once, (re-)enrolment needs the password and the current code and waits for a first code,
keys need a fresh code and die with a new factor, a new password or a disabled account, and
re-enabling never revives what was issued before."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.staff import (
    Actor,
    AuthenticateStaff,
    ChangePassword,
    ConfirmTotp,
    CreateStaff,
    EnableTotp,
    IssueStaffKey,
    ListStaffKeys,
    Login,
    RevokeStaffKey,
    SetStaffDisabled,
)
from domain.errors import InvalidRequest, NotFound, RateLimited, Unauthenticated
from domain.staff import AuditAction, Role
from tests.fake_staff import FakeCodes, FakeHasher, FakeThrottle, FakeTokens
from tests.fakes import FakeClock, FakeDatabase

ADMIN = Actor("staff:root", "127.0.0.1")
PASSWORD = "correct horse battery staple"
HERE = "10.0.0.9"


class Office:
    def __init__(self) -> None:
        self.db, self.clock, self.codes = FakeDatabase(), FakeClock(), FakeCodes()
        self.hasher, self.tokens = FakeHasher(), FakeTokens()
        self.throttle = FakeThrottle(100, 100)
        self.login = Login(self.db, self.clock, self.hasher, self.tokens, self.throttle, self.codes)
        self.authenticate = AuthenticateStaff(self.db, self.clock, self.tokens)
        self.enable = EnableTotp(self.db, self.clock, self.codes, self.hasher, self.throttle)
        self.confirm = ConfirmTotp(self.db, self.clock, self.codes)
        self.issue = IssueStaffKey(self.db, self.clock, self.codes, self.throttle)

    def code(self, secret: str) -> str:
        return self.codes.code(secret, self.clock.now())

    async def enrolled(self, member, password: str = PASSWORD) -> str:
        secret = (await self.enable(member, password, None, ADMIN)).secret
        await self.confirm(member, self.code(secret), ADMIN)
        self.clock.advance(seconds=30)  # the confirming step is used up
        return secret


@pytest.fixture
async def office():
    office = Office()
    member = await CreateStaff(office.db, office.clock, office.hasher)(
        "alice", PASSWORD, Role.FINANCE, ADMIN
    )
    return office, member


async def test_a_code_works_once_inside_its_window(office):
    o, member = office
    secret = await o.enrolled(member)
    code = o.code(secret)
    await o.login("alice", PASSWORD, code, HERE)
    with pytest.raises(Unauthenticated):
        await o.login("alice", PASSWORD, code, HERE)  # the same code, still inside its window
    o.clock.advance(seconds=10)
    with pytest.raises(Unauthenticated):
        await o.login("alice", PASSWORD, code, HERE)
    o.clock.advance(seconds=30)
    await o.login("alice", PASSWORD, o.code(secret), HERE)  # the next step's code is fresh


async def test_enrolment_needs_the_password_and_then_the_current_code(office):
    o, member = office
    with pytest.raises(Unauthenticated, match="password"):
        await o.enable(member, "a stolen session", None, ADMIN)
    secret = await o.enrolled(member)
    member = await o.authenticate.by_token(
        (await o.login("alice", PASSWORD, o.code(secret), HERE)).token
    )
    o.clock.advance(seconds=30)
    with pytest.raises(Unauthenticated, match="one-time code"):
        await o.enable(member, PASSWORD, None, ADMIN)  # the secret cannot be swapped silently
    with pytest.raises(Unauthenticated, match="one-time code"):
        await o.enable(member, PASSWORD, "000000", ADMIN)
    assert o.db.state.staff_totp_pending == {}
    renewed = await o.enable(member, PASSWORD, o.code(secret), ADMIN)
    assert renewed.secret != secret
    o.clock.advance(seconds=30)
    # Until confirmed, the old secret stays in force and the new one is refused.
    with pytest.raises(Unauthenticated):
        await o.login("alice", PASSWORD, o.code(renewed.secret), HERE)
    await o.login("alice", PASSWORD, o.code(secret), HERE)


async def test_a_new_secret_waits_for_its_first_code(office):
    o, member = office
    enrolment = await o.enable(member, PASSWORD, None, ADMIN)
    session = await o.login("alice", PASSWORD, None, HERE)  # not asked for a code yet
    assert not session.member.totp_enabled
    with pytest.raises(InvalidRequest):
        await o.confirm(member, "SECRET-wrong", ADMIN)
    assert not (await o.authenticate.by_token(session.token)).totp_enabled
    confirmed = await o.confirm(member, o.code(enrolment.secret), ADMIN)
    assert confirmed.totp_enabled
    with pytest.raises(InvalidRequest, match="no new secret"):
        await o.confirm(member, o.code(enrolment.secret), ADMIN)
    o.clock.advance(seconds=30)
    with pytest.raises(Unauthenticated):
        await o.login("alice", PASSWORD, None, HERE)
    actions = [e.action for e in o.db.state.audit]
    assert AuditAction.TOTP_ENROLMENT_STARTED in actions
    assert AuditAction.TOTP_ENABLED in actions


async def test_a_key_needs_a_fresh_code_and_a_new_factor_revokes_the_keys(office):
    o, member = office
    before = await o.issue(member, "made before the factor", ADMIN)
    secret = await o.enrolled(member)
    with pytest.raises(Unauthenticated, match="revoked"):
        await o.authenticate.by_key(before.plaintext)
    member = await o.authenticate.by_token(
        (await o.login("alice", PASSWORD, o.code(secret), HERE)).token
    )
    with pytest.raises(Unauthenticated, match="one-time code"):
        await o.issue(member, "no code", ADMIN)
    used = o.code(secret)  # used by the login above
    with pytest.raises(Unauthenticated, match="one-time code"):
        await o.issue(member, "a used code", ADMIN, used)
    o.clock.advance(seconds=30)
    issued = await o.issue(member, "with a code", ADMIN, o.code(secret))
    assert await o.authenticate.by_key(issued.plaintext) == member


async def test_keys_expire_are_listed_and_revoked_by_their_owner(office):
    o, member = office
    bob = await CreateStaff(o.db, o.clock, o.hasher)("bob", PASSWORD, Role.FINANCE, ADMIN)
    with pytest.raises(InvalidRequest, match="future"):
        await o.issue(member, "already over", ADMIN, expires_at=o.clock.now())
    short = await o.issue(member, "short", ADMIN, expires_at=o.clock.now() + timedelta(hours=1))
    lasting = await o.issue(member, "lasting", ADMIN)
    assert await o.authenticate.by_key(short.plaintext) == member
    o.clock.advance(hours=2)
    with pytest.raises(Unauthenticated, match="expired"):
        await o.authenticate.by_key(short.plaintext)
    listed = await ListStaffKeys(o.db)(member)
    assert {k.label for k in listed} == {"short", "lasting"}
    revoke = RevokeStaffKey(o.db, o.clock)
    with pytest.raises(NotFound):
        await revoke(bob, lasting.key.key_id, Actor.staff(bob))  # not bob's key
    await revoke(member, lasting.key.key_id, Actor.staff(member))
    with pytest.raises(Unauthenticated, match="revoked"):
        await o.authenticate.by_key(lasting.plaintext)
    with pytest.raises(InvalidRequest, match="already"):
        await revoke(member, lasting.key.key_id, Actor.staff(member))
    assert o.db.state.audit[-1].action is AuditAction.STAFF_KEY_REVOKED


async def test_a_new_password_ends_every_session_and_key(office):
    o, member = office
    token = (await o.login("alice", PASSWORD, None, HERE)).token
    key = await o.issue(member, "bot", ADMIN)
    change = ChangePassword(o.db, o.clock, o.hasher, o.throttle)
    new = "a much better passphrase"
    with pytest.raises(Unauthenticated, match="current password"):
        await change(member, "not the password", new, ADMIN)
    await change(member, PASSWORD, new, ADMIN)
    with pytest.raises(Unauthenticated, match="revoked"):
        await o.authenticate.by_token(token)
    with pytest.raises(Unauthenticated, match="revoked"):
        await o.authenticate.by_key(key.plaintext)
    with pytest.raises(Unauthenticated):
        await o.login("alice", PASSWORD, None, HERE)
    await o.login("alice", new, None, HERE)


async def test_disabling_and_re_enabling_never_revives_old_tokens_or_keys(office):
    o, member = office
    token = (await o.login("alice", PASSWORD, None, HERE)).token
    key = await o.issue(member, "bot", ADMIN)
    set_disabled = SetStaffDisabled(o.db, o.clock)
    await set_disabled("alice", True, ADMIN)
    with pytest.raises(Unauthenticated):
        await o.authenticate.by_token(token)
    with pytest.raises(Unauthenticated):
        await o.login("alice", PASSWORD, None, HERE)
    enabled = await set_disabled("alice", False, ADMIN)
    assert not enabled.disabled
    with pytest.raises(Unauthenticated, match="revoked"):
        await o.authenticate.by_token(token)
    with pytest.raises(Unauthenticated, match="revoked"):
        await o.authenticate.by_key(key.plaintext)
    fresh = await o.login("alice", PASSWORD, None, HERE)
    assert await o.authenticate.by_token(fresh.token) == enabled
    with pytest.raises(NotFound):
        await set_disabled("nobody", True, ADMIN)


async def test_asking_for_the_password_or_a_code_again_is_throttled_like_a_login(office):
    """A stolen session cannot guess the password through the password and enrolment routes,
    nor a code through issuing keys, without limit."""
    o, member = office
    o.throttle.limit = 3
    change = ChangePassword(o.db, o.clock, o.hasher, o.throttle)
    thief = Actor.staff(member, "10.6.6.6")
    for guess in ("guess one", "guess two"):
        with pytest.raises(Unauthenticated):
            await change(member, guess, "a much better passphrase", thief)
    with pytest.raises(Unauthenticated):
        await o.enable(member, "guess three", None, thief)
    with pytest.raises(RateLimited):
        await o.enable(member, PASSWORD, None, thief)  # right or wrong: this address waits
    owner = Actor.staff(member, HERE)
    secret = (await o.enable(member, PASSWORD, None, owner)).secret
    member = await o.confirm(member, o.code(secret), owner)
    for n in range(3):
        with pytest.raises(Unauthenticated):
            await o.issue(member, "bot", Actor.staff(member, "10.7.7.7"), f"00000{n}")
    with pytest.raises(RateLimited):
        await o.issue(member, "bot", Actor.staff(member, "10.7.7.7"), "000009")
