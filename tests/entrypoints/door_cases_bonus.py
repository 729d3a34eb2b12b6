"""The door × rule matrix's requests at the player's bonus (test_door_rule_matrix.py): the
claim (a promotion: cash from a bonus), the give-up (money given back, never refused) and the
withdrawal's extra step that gives the bonus up (a withdrawal)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from aiogram.methods import EditMessageText, SendMessage

from application.bonuses import grant_bonus
from application.house import HouseBook
from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from domain.bonuses import BonusOffer
from domain.money import XTR, Money
from entrypoints.bot.bonus_keyboards import BonusAction, WithdrawForfeit
from tests.entrypoints.door_cases_withdraw import bot_withdrawal_draft
from tests.entrypoints.door_world import Answer, Cell, bot_answer

BUDGET = "door-matrix"


async def granted_bonus(cell: Cell) -> uuid.UUID:
    """A 20 ⭐ bonus with nothing to wager (claimable at once), granted in good standing."""
    offer = BonusOffer(
        amount=Money(20, XTR),
        wagering_multiple=0,
        wagering_base=Money(20, XTR),
        expires_after=timedelta(days=7),
        max_stake=None,
        campaign="matrix",
        budget=BUDGET,
    )
    async with cell.world.container() as scope:
        factory = await scope.get(UnitOfWorkFactory)
        ids, clock = await scope.get(IdGenerator), await scope.get(Clock)
        house = await scope.get(HouseBook)
        async with factory() as uow:
            await uow.budgets.open(BUDGET, Money(10**9, XTR))
            bonus = await grant_bonus(
                uow,
                ids,
                player_id=cell.subject.player_id,
                offer=offer,
                key=f"matrix:{uuid.uuid4()}",
                now=clock.now(),
                shards=house.shards,
            )
            await uow.commit()
    return bonus.id


def _shown(prefix: str):
    def seen(calls: list[Any]) -> bool:
        return any(
            isinstance(c, SendMessage | EditMessageText) and c.text.startswith(prefix)
            for c in calls
        )

    return seen


async def bot_bonus_claim(cell: Cell) -> Answer:
    button = BonusAction(action="claim", bonus=cell.prepared.hex)
    return await bot_answer(cell, cell.subject.user.tap(button.pack()), _shown("🎉"))


async def bot_bonus_give_up(cell: Cell) -> Answer:
    button = BonusAction(action="give_up_sure", bonus=cell.prepared.hex)
    return await bot_answer(cell, cell.subject.user.tap(button.pack()), _shown("Вы отказались"))


async def bonus_and_withdrawal_draft(cell: Cell) -> str:
    await granted_bonus(cell)
    return await bot_withdrawal_draft(cell)


async def bot_withdrawal_forfeit(cell: Cell) -> Answer:
    update = cell.subject.user.tap(WithdrawForfeit(press=cell.prepared).pack())
    return await bot_answer(cell, update, _shown("🏧"))
