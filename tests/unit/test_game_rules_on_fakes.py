"""GetGameRules on fakes: the rules at the house edge the game is configured with now, the payout
limit in the currency asked for, and an unknown game refused."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest

from application.games_rules import GetGameRules
from domain.errors import GameUnavailable
from domain.games.catalog import GameConfig, StakeLimits
from domain.games.rules import percent
from domain.money import TON, XTR, Money
from tests.fakes import FakeDatabase

pytestmark = pytest.mark.asyncio


async def test_the_rules_follow_the_configured_edge_and_limits() -> None:
    db = FakeDatabase()
    rules = GetGameRules(db)
    default = await rules("coin", XTR)
    assert percent(default.rules.rtp_low) == "99.00"
    assert default.max_payout == Money(1_000_000, XTR)  # the fakes' XTR limits
    assert default.enabled

    async with db() as uow:
        limits = {"XTR": StakeLimits(1, 500, 20_000)}
        await uow.games.save(
            GameConfig("coin", house_edge=Fraction(3, 100), limits=limits, enabled=False),
            datetime(2026, 12, 3, tzinfo=UTC),
        )
        await uow.commit()
    changed = await rules("coin", XTR)
    assert percent(changed.rules.rtp_low) == "97.00"
    assert changed.rules.max_multiplier == Fraction("1.94")
    assert changed.max_payout == Money(20_000, XTR)
    assert not changed.enabled
    assert (await rules("coin", TON)).max_payout is None  # not offered in TON


async def test_an_unknown_game_is_refused() -> None:
    with pytest.raises(GameUnavailable):
        await GetGameRules(FakeDatabase())("baccarat", XTR)
