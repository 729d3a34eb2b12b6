"""The public feed of big wins (issue 23, docs/notifications.md "The big-wins feed"). The
defaults are the domain's (`domain.big_wins`); no channel, no feed."""

from __future__ import annotations

from datetime import timedelta

from pydantic.dataclasses import dataclass

from domain.big_wins import (
    DEFAULT_COOLDOWN,
    DEFAULT_MIN_MULTIPLIER,
    DEFAULT_MIN_WIN,
    BigWinRules,
)
from entrypoints.settings.declaring import CONFIG, setting


@dataclass(frozen=True, config=CONFIG)
class BigWins:
    """Big-wins feed"""

    big_wins_channel: str = setting(
        "",
        doc="The public channel big wins are posted to, with each player's consent: its chat "
        "id (`-1001234567890`) or `@name`; the bot must be an administrator of it allowed to "
        "post. Empty: no feed, and players are not offered the choice.",
        shown="(none: off)",
        pattern=r"^(|@[A-Za-z][A-Za-z0-9_]{3,31}|-[0-9]{1,20})$",
    )
    big_wins_min_win: int = setting(
        DEFAULT_MIN_WIN,
        doc="A big win paid at least this many Stars (the bet's payout, stake included) and "
        "at least `CROUPIER_BIG_WINS_MIN_MULTIPLIER` times its stake. Only bets in Stars are "
        "posted.",
        ge=1,
        le=10_000_000,
    )
    big_wins_min_multiplier: int = setting(
        DEFAULT_MIN_MULTIPLIER,
        doc="A big win paid at least this many times its stake (1: any win of "
        "`CROUPIER_BIG_WINS_MIN_WIN`).",
        ge=1,
        le=1_000_000,
    )
    big_wins_cooldown_s: int = setting(
        int(DEFAULT_COOLDOWN.total_seconds()),
        doc="At most one post of one player's wins this often (seconds); a big win within it "
        "is not posted.",
        ge=0,
        le=7 * 86_400,
    )
    big_wins_language: str = setting(
        "en",
        doc="The language of the channel's posts (en, ru, es, pt, tr).",
        pattern=r"^(en|ru|es|pt|tr)$",
    )

    def big_win_rules(self) -> BigWinRules:
        return BigWinRules(
            min_win=self.big_wins_min_win,
            min_multiplier=self.big_wins_min_multiplier,
            cooldown=timedelta(seconds=self.big_wins_cooldown_s),
        )
