"""Players, known by their Telegram user id."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from domain.errors import InvalidRequest
from domain.quoting import excerpt

# Telegram user ids are positive and fit in 52 bits (Bot API docs); anything else is not a user.
MAX_TELEGRAM_USER_ID = 2**52


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
