"""Duels in group chats (docs/duels.md). The defaults are the domain's (`domain.duels`)."""

from __future__ import annotations

from datetime import timedelta

from pydantic.dataclasses import dataclass

from domain.duels import (
    DEFAULT_ACCEPT_WINDOW,
    DEFAULT_CUT_BPS,
    DEFAULT_MAX_TIES,
    DEFAULT_ROLL_WINDOW,
    MAX_CUT_BPS,
    MAX_TIES_LIMIT,
    DuelRules,
)
from entrypoints.settings.declaring import CONFIG, setting


@dataclass(frozen=True, config=CONFIG)
class Duels:
    """Duels"""

    duel_cut_bps: int = setting(
        DEFAULT_CUT_BPS,
        doc="The house cut of a duel's pot, in basis points (500 is 5%), rounded up to a whole "
        "minor unit: 5% of a 30 ⭐ pot is 1.5 ⭐, the cut 2 ⭐, the winner gets 28 ⭐.",
        ge=0,
        le=MAX_CUT_BPS,
    )
    duel_max_ties: int = setting(
        DEFAULT_MAX_TIES,
        doc="How many times a tied duel rolls again; the tie after that refunds both stakes. "
        "Lobbies too: a tie at the top rolls again among the tied, and the tie after that "
        "refunds every seat.",
        ge=0,
        le=MAX_TIES_LIMIT,
    )
    duel_accept_window_s: int = setting(
        int(DEFAULT_ACCEPT_WINDOW.total_seconds()),
        doc="How long a challenged player has to accept (seconds); then the duel expires and "
        "the challenger's stake comes back. A lobby has as long to start, else every seat's "
        "stake comes back.",
        ge=10,
        le=86_400,
    )
    duel_roll_window_s: int = setting(
        int(DEFAULT_ROLL_WINDOW.total_seconds()),
        doc="How long an accepted duel (a started lobby) has for its dice (seconds); then "
        "every stake comes back.",
        ge=10,
        le=86_400,
    )
    duel_expiry_interval_s: int = setting(
        30,
        doc="How often `croupier run` refunds duels and lobbies not accepted (started) or not "
        "rolled in time (seconds, 0: never).",
        ge=0,
        le=3_600,
    )

    def duel_rules(self) -> DuelRules:
        return DuelRules(
            cut_bps=self.duel_cut_bps,
            max_ties=self.duel_max_ties,
            accept_window=timedelta(seconds=self.duel_accept_window_s),
            roll_window=timedelta(seconds=self.duel_roll_window_s),
        )
