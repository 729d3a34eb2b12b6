"""Knobs of the bot that are not secrets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BotOptions:
    # Telegram's dice animation lasts a few seconds; the result is shown after it.
    dice_delay: float = 3.5
