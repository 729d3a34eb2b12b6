"""What a player settles before any money moves: age and terms, language, who referred them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

_REFERRAL = re.compile(r"^[a-z0-9]{6,16}$")


def valid_referral_code(code: str) -> bool:
    return bool(_REFERRAL.match(code))


@dataclass(frozen=True, slots=True)
class PlayerPreferences:
    player_id: int
    language: str
    referral_code: str  # the player's own code to share
    terms_accepted_at: datetime | None = None
    referred_by: int | None = None

    @property
    def terms_accepted(self) -> bool:
        """Confirmed 18+ and accepted the terms. What that allows is the standing's to say
        (`domain.standing`), in the use cases; screens use this to show the gate."""
        return self.terms_accepted_at is not None
