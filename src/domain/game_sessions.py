"""Game session tokens: what an aggregator carries from the game Croupier opened for a player
back to Croupier's wallet.

A token binds one player, one currency and one game at one aggregator until it expires. It is
an HMAC-SHA256-signed value, not a row: `payload.mac`, both base64url, the payload the bound
facts as JSON. Nothing is stored, so issuing one writes nothing and checking one reads nothing;
the price is that a token cannot be revoked before it expires, which is why sessions are short
(`DEFAULT_SESSION_TTL`) and the aggregator's service key (revocable at once) is what stands
behind every call. The key is the operator's secret (`CROUPIER_GAME_SESSION_KEY`); rotating it
ends every open session.

The wallet checks a token on user info, balance and bet; never on a win or a rollback, which
settle a round already played (a player who closed the game still gets their win)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from domain.errors import InvalidRequest
from domain.money import Currency
from domain.seamless import validate_external_id, validate_player_id, validate_provider

DEFAULT_SESSION_TTL: Final = timedelta(hours=4)
MAX_SESSION_TTL: Final = timedelta(days=1)
MIN_KEY_BYTES: Final = 32
MAX_TOKEN_LENGTH: Final = 1024
# Hub88 asks for a `user` of at least 3 characters: player 7 is "007" (the wallet reads it back).
MIN_USER_LENGTH: Final = 3


def aggregator_user(player_id: int) -> str:
    """The player as the aggregator knows them (`user`): the Croupier id in decimal, padded
    with zeros to three characters so that the first 99 players of a fresh database are not
    refused by an aggregator that checks the length; the wallet reads any of them back as
    the id (`entrypoints/http/aggregator_wire.player_id_of`)."""
    return str(validate_player_id(player_id)).zfill(MIN_USER_LENGTH)


class InvalidSessionToken(InvalidRequest):
    """Not a token Croupier issued (malformed, forged, or for another aggregator)."""

    code = "invalid_session_token"


class SessionTokenExpired(InvalidRequest):
    code = "session_token_expired"


@dataclass(frozen=True, slots=True)
class GameSession:
    player_id: int
    currency: str  # a currency code
    game_id: str
    aggregator: str
    expires_at: datetime

    def __post_init__(self) -> None:
        validate_player_id(self.player_id)
        validate_provider(self.aggregator)
        validate_external_id(self.game_id, "game id")
        if self.expires_at.tzinfo is None:
            raise InvalidRequest("a game session's expiry must be timezone-aware")

    @classmethod
    def open(
        cls,
        *,
        player_id: int,
        currency: Currency,
        game_id: str,
        aggregator: str,
        now: datetime,
        ttl: timedelta = DEFAULT_SESSION_TTL,
    ) -> GameSession:
        if not timedelta(0) < ttl <= MAX_SESSION_TTL:
            raise InvalidRequest(f"a game session lasts more than 0 and at most {MAX_SESSION_TTL}")
        return cls(player_id, currency.code, game_id, aggregator, now + ttl)

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def require_for(self, player_id: int, currency: str, game_id: str | None) -> None:
        """A call names the session's player, currency and (for a bet) game, or is refused."""
        if player_id != self.player_id or currency != self.currency:
            raise InvalidSessionToken("the session token was issued for another player or currency")
        if game_id is not None and game_id != self.game_id:
            raise InvalidSessionToken("the session token was issued for another game")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def issue_token(session: GameSession, key: bytes) -> str:
    _require_key(key)
    body = {
        "p": session.player_id,
        "c": session.currency,
        "g": session.game_id,
        "a": session.aggregator,
        "e": int(session.expires_at.timestamp()),
    }
    payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_mac(key, payload)}"


def read_token(token: str, key: bytes, *, aggregator: str, now: datetime | None) -> GameSession:
    """The session a token stands for: `InvalidSessionToken` unless Croupier signed it for
    this aggregator, `SessionTokenExpired` once it is past its expiry (`now` None: expiry not
    checked, for what a rollback reads from it). The MAC is compared in constant time before
    anything in the payload is believed."""
    _require_key(key)
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH or "." not in token:
        raise InvalidSessionToken("not a game session token")
    payload, mac = token.rsplit(".", 1)
    if not hmac.compare_digest(mac.encode(), _mac(key, payload).encode()):
        raise InvalidSessionToken("not a game session token")
    try:
        body = json.loads(_unb64(payload))
        session = GameSession(
            player_id=body["p"],
            currency=str(body["c"]),
            game_id=str(body["g"]),
            aggregator=str(body["a"]),
            expires_at=datetime.fromtimestamp(int(body["e"]), UTC),
        )
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise InvalidSessionToken("not a game session token") from error
    if session.aggregator != aggregator:
        raise InvalidSessionToken("the session token was issued for another aggregator")
    if now is not None and session.is_expired(now):
        raise SessionTokenExpired("the game session has expired")
    return session


def _require_key(key: bytes) -> None:
    if len(key) < MIN_KEY_BYTES:
        raise InvalidRequest(f"the game session key must have at least {MIN_KEY_BYTES} bytes")
