"""The prompt at the first deposit (issue 23, UKGC RTS 12): a player who never set a deposit
limit is asked to set one, or to choose "No limit for now", before their deposit goes on.

Setting any deposit limit (through `SetLimit`) is an answer by itself; "No limit for now" is
remembered here, once, in the player's responsible-gambling record and audited as theirs."""

from __future__ import annotations

from application.ports import UnitOfWorkFactory
from application.responsible.changes import PlayerChange, audit_change
from domain.staff import AuditAction


class DepositPromptDue:
    """Whether the deposit flow must ask first: never answered and no deposit limit."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int) -> bool:
        async with self._uow() as uow:
            return await uow.responsible.deposit_prompt_due(player_id)


class AnswerDepositPrompt(PlayerChange):
    """The player chose "No limit for now". A repeat keeps the first answer's time."""

    async def __call__(self, player_id: int) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            await self._enroll(uow, player_id, now)
            if not await uow.responsible.deposit_prompt_due(player_id):
                return  # answered already, or a limit was set meanwhile: nothing to write
            await uow.responsible.answer_deposit_prompt(player_id, now)
            await audit_change(
                uow,
                AuditAction.DEPOSIT_PROMPT_DECLINED,
                player_id,
                now,
                None,
                {"answered_at": now.isoformat(), "answer": "no_limit_for_now"},
            )
            await uow.commit()
