"""Crash's shared rounds: how long bets are taken, what a round may owe, and which processes
drive rounds. The bankroll share's default is the domain's (`domain.crash_rounds`)."""

from __future__ import annotations

from decimal import Decimal

from pydantic.dataclasses import dataclass

from domain.crash_rounds import DEFAULT_BANKROLL_SHARE
from entrypoints.settings.declaring import CONFIG, setting


@dataclass(frozen=True, config=CONFIG)
class Crash:
    """Crash"""

    crash_betting_seconds: float = setting(
        5.0,
        doc="How long a crash round takes bets before its multiplier starts.",
        ge=0.5,
        le=120,
        allow_inf_nan=False,
    )
    crash_bankroll_share: Decimal = setting(
        Decimal(DEFAULT_BANKROLL_SHARE.numerator) / DEFAULT_BANKROLL_SHARE.denominator,
        doc="The most a crash round may owe beyond its stakes (every bet at its target, or at "
        "the 1,000x cap), as a share of the house bankroll in the bet's currency (a decimal; "
        "0.01 is 1%). A bet that would take the round past it is refused.",
        gt=0,
        le=1,
        allow_inf_nan=False,
    )
    crash_driver: bool = setting(
        True,
        doc="Whether `croupier run` competes to drive crash rounds (one process does at a time, "
        "holding a PostgreSQL advisory lock; another takes over when it dies).",
    )
    crash_tick_ms: int = setting(
        100,
        doc="How often (ms) a process with live round listeners (gRPC StreamRounds, the Mini "
        "App's WebSocket) reads the newest round and its cash-outs.",
        ge=10,
        le=5_000,
    )
    crash_watch_ms: int = setting(
        1_000,
        doc="The longest (ms) the crash driver sleeps without looking again: it sleeps until a "
        "round's betting end or crash time, but at most this, so a lost driver lock or a round "
        "changed by someone else is noticed within it.",
        ge=10,
        le=60_000,
    )
    crash_recovery_grace_ms: int = setting(
        3_000,
        doc="A running round settled more than this long (ms) after its crash time, or by a "
        "driver that did not start it, counts as interrupted: bets neither cashed out nor at "
        "their target are refunded (docs/games.md, Crash).",
        ge=0,
        le=600_000,
    )
