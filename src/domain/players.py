"""Players, known by their Telegram user id."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from domain.errors import InvalidRequest
from domain.quoting import excerpt

# Telegram user ids are positive and fit in 52 bits (Bot API docs); anything else is not a user.
MAX_TELEGRAM_USER_ID = 2**52
MAX_PLAYER_NAME_LENGTH = 64
MAX_LANGUAGE_TAG_LENGTH = 16
# A language as Telegram and browsers send it: "en", "pt-BR", "zh-Hant-TW" (BCP 47's shape).
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,3}")


class PlayerStatus(enum.StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"


class KycStatus(enum.StrEnum):
    """How far the player's identity has been verified (know your customer). Staff set it
    after checking documents out of band; large withdrawals need `verified`."""

    UNVERIFIED = "unverified"
    PENDING = "pending"  # documents received, not yet checked
    VERIFIED = "verified"


def parse_kyc_status(text: str) -> KycStatus:
    try:
        return KycStatus(text.strip().lower())
    except ValueError:
        raise InvalidRequest(
            f"a KYC status is one of {', '.join(s.value for s in KycStatus)}"
        ) from None


def validate_telegram_user_id(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"telegram user id must be an integer, got {excerpt(value)}")
    if not 0 < value < MAX_TELEGRAM_USER_ID:
        raise InvalidRequest(f"telegram user id {value} is out of range")
    return value


def validate_player_name(value: str) -> str:
    """The name an internal service gives a player (stored as the player's username, sealed
    like the bot's): 1-64 printable characters once trimmed."""
    name = value.strip()
    if not name or len(name) > MAX_PLAYER_NAME_LENGTH or not name.isprintable():
        raise InvalidRequest(
            f"a player's name is 1-{MAX_PLAYER_NAME_LENGTH} printable characters,"
            f" got {excerpt(value)}"
        )
    return name


def validate_language_tag(value: str) -> str:
    """A language code such as "en" or "pt-BR"."""
    tag = value.strip()
    if len(tag) > MAX_LANGUAGE_TAG_LENGTH or not _LANGUAGE_TAG.fullmatch(tag):
        raise InvalidRequest(f"a language is a code such as en or pt-BR, got {excerpt(value)}")
    return tag


@dataclass(slots=True)
class Player:
    id: int
    telegram_user_id: int
    created_at: datetime
    username: str | None = None
    language_code: str | None = None
    status: PlayerStatus = PlayerStatus.ACTIVE

    def __post_init__(self) -> None:
        validate_telegram_user_id(self.telegram_user_id)

    @property
    def is_active(self) -> bool:
        return self.status is PlayerStatus.ACTIVE
