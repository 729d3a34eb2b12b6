"""What a blocked player is told when the Mini App refuses their session or the live feed
closes their socket: one sentence, so that both doors say the same."""

from __future__ import annotations

from typing import Final

ACCOUNT_BLOCKED: Final = "this account is blocked; contact support"
