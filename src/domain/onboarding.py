"""What a player settles before any money moves: age and terms, language, who referred them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from domain.errors import Forbidden

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
    def may_move_money(self) -> bool:
        """Only after confirming 18+ and accepting the terms."""
        return self.terms_accepted_at is not None

    def require_gate(self) -> None:
        if not self.may_move_money:
            raise Forbidden("confirm that you are 18 or older and accept the terms first")
