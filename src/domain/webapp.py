"""Telegram Mini App (Web App) `initData`: the signed launch parameters Telegram hands the page.

Validation follows Telegram's scheme (see the facts file): the data-check-string is the
fields other than `hash`, URL-decoded, sorted by key and joined by newlines; the secret key is
HMAC-SHA256(key="WebAppData", msg=bot token); the data is genuine when HMAC-SHA256(secret key,
data-check-string) in hex equals `hash`, compared in constant time, and recent enough."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from domain.errors import InvalidRequest, Unauthenticated
from domain.players import validate_telegram_user_id
from domain.quoting import excerpt

WEB_APP_DATA_KEY = b"WebAppData"
MAX_INIT_DATA_LENGTH = 4096  # Telegram's own init data is far smaller; refuse before hashing
DEFAULT_MAX_AGE = timedelta(hours=1)
# A launch stamped a little in the future is clock skew between Telegram and us, not a replay.
CLOCK_SKEW = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class WebAppUser:
    telegram_user_id: int
    first_name: str
    username: str | None
    language_code: str | None
    auth_date: datetime
    # The `startapp` parameter of the link that opened the app (`ref_<code>` for a referral),
    # signed with the rest; None when absent.
    start_param: str | None = None


def secret_key(bot_token: str) -> bytes:
    return hmac.new(WEB_APP_DATA_KEY, bot_token.encode(), hashlib.sha256).digest()


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The `hash` Telegram would put on these fields (for tests and for local tooling)."""
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    return hmac.new(secret_key(bot_token), check.encode(), hashlib.sha256).hexdigest()


def validate_init_data(
    init_data: str, bot_token: str, now: datetime, max_age: timedelta = DEFAULT_MAX_AGE
) -> WebAppUser:
    """The user the init data was signed for, or `Unauthenticated` saying what is wrong (the
    message never repeats the data)."""
    if not init_data or len(init_data) > MAX_INIT_DATA_LENGTH:
        raise Unauthenticated("Mini App init data is missing or too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise Unauthenticated("Mini App init data is not a query string") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:  # a repeated key could make two readers see different data
            raise Unauthenticated(f"Mini App init data repeats {excerpt(key)}")
        fields[key] = value
    given = fields.pop("hash", "")
    if not given:
        raise Unauthenticated("Mini App init data is not signed")
    expected = sign(fields, bot_token)
    if not hmac.compare_digest(expected.encode(), given.lower().encode()):
        raise Unauthenticated("Mini App init data has a wrong signature")
    auth_date = _auth_date(fields.get("auth_date", ""))
    if now - auth_date > max_age:
        raise Unauthenticated("Mini App init data has expired; reopen the app")
    if auth_date - now > CLOCK_SKEW:
        raise Unauthenticated("Mini App init data is dated in the future")
    user = _user(fields.get("user", ""), auth_date)
    start_param = fields.get("start_param") or None
    return replace(user, start_param=start_param[:512] if start_param else None)


def _auth_date(raw: str) -> datetime:
    if not raw.isdigit():
        raise Unauthenticated("Mini App init data has no valid auth_date")
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (OverflowError, OSError, ValueError):
        raise Unauthenticated("Mini App init data has no valid auth_date") from None


def _user(raw: str, auth_date: datetime) -> WebAppUser:
    try:
        user = json.loads(raw) if raw else None
    except ValueError:
        user = None
    if not isinstance(user, dict):
        raise Unauthenticated("Mini App init data names no user")
    user_id = user.get("id")
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise Unauthenticated("Mini App init data names no user")
    try:
        validate_telegram_user_id(user_id)
    except InvalidRequest:
        raise Unauthenticated("Mini App init data names no user") from None
    if user.get("is_bot") is True:
        raise Unauthenticated("bots cannot play")
    return WebAppUser(
        telegram_user_id=user_id,
        first_name=_text(user.get("first_name")) or "",
        username=_text(user.get("username")),
        language_code=_text(user.get("language_code")),
        auth_date=auth_date,
    )


def _text(value: object) -> str | None:
    return value[:64] if isinstance(value, str) and value else None
