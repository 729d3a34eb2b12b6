"""Amounts for tests, written short: `xtr(10)` is ten Telegram Stars."""

from __future__ import annotations

from domain.money import XTR, Money


def xtr(amount: int) -> Money:
    return Money(amount, XTR)
