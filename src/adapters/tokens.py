"""Staff bearer tokens: HS256 JWTs (PyJWT) carrying the staff id and token version."""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt

from domain.staff import StaffMember

AUDIENCE = "croupier-admin"


class JwtTokens:
    def __init__(self, key: bytes, ttl: timedelta = timedelta(minutes=15)) -> None:
        if len(key) < 32:
            raise ValueError("the token signing key needs at least 32 bytes")
        self._key = key
        self._ttl = ttl

    def issue(self, member: StaffMember, now: datetime) -> tuple[str, datetime]:
        expires = now + self._ttl
        claims = {
            "sub": str(member.id),
            "ver": member.token_version,
            "aud": AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
        }
        return jwt.encode(claims, self._key, algorithm="HS256"), expires

    def read(self, token: str, now: datetime) -> tuple[int, int] | None:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],  # never "none", never what the token asks for
                audience=AUDIENCE,
                options={"require": ["sub", "exp", "ver"], "verify_exp": False},
            )
        except jwt.PyJWTError:
            return None
        # Expiry against our clock, not the wall clock, so it is testable and consistent.
        if int(claims["exp"]) <= now.timestamp():
            return None
        try:
            return int(claims["sub"]), int(claims["ver"])
        except (TypeError, ValueError):
            return None


PLAYER_AUDIENCE = "croupier-player"


class JwtPlayerSessions:
    """Mini App sessions: HS256 JWTs for one player, with their own audience so a player token
    can never pass as a staff token (or the reverse)."""

    def __init__(self, key: bytes, ttl: timedelta = timedelta(minutes=30)) -> None:
        if len(key) < 32:
            raise ValueError("the token signing key needs at least 32 bytes")
        self._key = key
        self._ttl = ttl

    def issue(self, player_id: int, now: datetime) -> tuple[str, datetime]:
        expires = now + self._ttl
        claims = {
            "sub": str(player_id),
            "aud": PLAYER_AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
        }
        return jwt.encode(claims, self._key, algorithm="HS256"), expires

    def read(self, token: str, now: datetime) -> int | None:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                audience=PLAYER_AUDIENCE,
                options={"require": ["sub", "exp"], "verify_exp": False},
            )
        except jwt.PyJWTError:
            return None
        if int(claims["exp"]) <= now.timestamp():
            return None
        try:
            return int(claims["sub"])
        except (TypeError, ValueError):
            return None
