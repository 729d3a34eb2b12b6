"""Duels in group chats (docs/duels.md). The defaults are the domain's (`domain.duels`)."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from pydantic.dataclasses import dataclass

from domain.duels import (
    DEFAULT_ACCEPT_WINDOW,
    DEFAULT_CUT_BPS,
    DEFAULT_MAX_TIES,
    DEFAULT_OWNER_SHARE_BPS,
    DEFAULT_ROLL_WINDOW,
    MAX_CUT_BPS,
    MAX_OWNER_SHARE_BPS,
    MAX_TIES_LIMIT,
    DuelRules,
)
from domain.duels_collusion import (
    DEFAULT_MIN_DUELS,
    DEFAULT_P_VALUE,
    DEFAULT_PAIR_SHARE,
    DEFAULT_WINDOW,
    CollusionPolicy,
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
    duel_owner_share_bps: int = setting(
        DEFAULT_OWNER_SHARE_BPS,
        doc="The group owner's share OF THE HOUSE CUT, in basis points (0: off; 2000 is 20% of "
        "the cut), rounded down (the house keeps the rest), fixed on each duel when it is made; "
        "paid into the owner's wallet when they may receive a promotion, else the house keeps "
        "it (docs/duels.md).",
        ge=0,
        le=MAX_OWNER_SHARE_BPS,
    )
    duel_collusion_min_duels: int = setting(
        DEFAULT_MIN_DUELS,
        doc="Collusion watch: how many duels between two players (settled ones for the "
        "one-sided pattern) before either pattern can flag them.",
        ge=2,
        le=10_000,
    )
    duel_collusion_p_value_ppm: int = setting(
        DEFAULT_P_VALUE.numerator * 1_000_000 // DEFAULT_P_VALUE.denominator,
        doc="Collusion watch, one-sided pattern: flag when fair duels would give such a record "
        "with a probability under this, in parts per million (2000 is 1/500).",
        ge=1,
        le=999_999,
    )
    duel_collusion_pair_share_bps: int = setting(
        int(DEFAULT_PAIR_SHARE * 10_000),
        doc="Collusion watch, exclusive-pair pattern: the share of each player's duels that "
        "were against the other, in basis points (9000 is 90%).",
        ge=1,
        le=10_000,
    )
    duel_collusion_window_days: int = setting(
        DEFAULT_WINDOW.days,
        doc="Collusion watch: how many days of duels are counted.",
        ge=1,
        le=366,
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
            owner_share_bps=self.duel_owner_share_bps,
        )

    def duel_collusion_policy(self) -> CollusionPolicy:
        return CollusionPolicy(
            min_duels=self.duel_collusion_min_duels,
            p_value=Fraction(self.duel_collusion_p_value_ppm, 1_000_000),
            pair_share=Fraction(self.duel_collusion_pair_share_bps, 10_000),
            window=timedelta(days=self.duel_collusion_window_days),
        )
