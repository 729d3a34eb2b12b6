"""A bonus granted straight through `grant_bonus` from a budget of its own, for the tests of
the Mini App's bonus buttons (HTTP and browser)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from application.bonuses import grant_bonus
from domain.bonuses import BonusOffer
from domain.money import XTR, Money
from tests.conftest import TEST_HOUSE_SHARDS


async def grant_test_bonus(uow_factory, ids, clock, player_id: int, *, wagering: int) -> uuid.UUID:
    """A 30 ⭐ bonus for 7 days, no stake cap; `wagering` 0 makes it claimable at once."""
    budget = f"app-{uuid.uuid4().hex[:12]}"
    offer = BonusOffer(
        amount=Money(30, XTR),
        wagering_multiple=wagering,
        wagering_base=Money(30, XTR),
        expires_after=timedelta(days=7),
        max_stake=None,
        campaign="app-buttons",
        budget=budget,
    )
    async with uow_factory() as uow:
        await uow.budgets.open(budget, Money(10_000, XTR))
        bonus = await grant_bonus(
            uow,
            ids,
            player_id=player_id,
            offer=offer,
            key=f"app:{uuid.uuid4()}",
            now=clock.now(),
            shards=TEST_HOUSE_SHARDS,
        )
        await uow.commit()
    return bonus.id
