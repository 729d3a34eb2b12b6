"""Mini App session tokens: bound to one player, short-lived, and never interchangeable with
staff tokens signed by the same key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.tokens import JwtPlayerSessions, JwtTokens
from domain.staff import Role, StaffMember

KEY = b"k" * 32
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def test_a_session_names_its_player_until_it_expires():
    sessions = JwtPlayerSessions(KEY, ttl=timedelta(minutes=30))
    token, expires = sessions.issue(42, NOW)
    assert expires == NOW + timedelta(minutes=30)
    assert sessions.read(token, NOW + timedelta(minutes=29)) == 42
    assert sessions.read(token, NOW + timedelta(minutes=30)) is None


def test_tokens_from_another_key_or_tampered_are_refused():
    token, _ = JwtPlayerSessions(KEY).issue(42, NOW)
    assert JwtPlayerSessions(b"o" * 32).read(token, NOW) is None
    head, body, signature = token.split(".")
    assert JwtPlayerSessions(KEY).read(f"{head}.{body}x.{signature}", NOW) is None
    assert JwtPlayerSessions(KEY).read("not-a-token", NOW) is None


def test_staff_and_player_tokens_do_not_cross():
    staff = StaffMember(7, "alice", Role.ADMIN, NOW)
    staff_token, _ = JwtTokens(KEY).issue(staff, NOW)
    assert JwtPlayerSessions(KEY).read(staff_token, NOW) is None
    player_token, _ = JwtPlayerSessions(KEY).issue(7, NOW)
    assert JwtTokens(KEY).read(player_token, NOW) is None


def test_a_short_key_is_refused():
    with pytest.raises(ValueError, match="32 bytes"):
        JwtPlayerSessions(b"short")
