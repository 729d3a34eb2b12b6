"""Calling the payout gateway for an approved withdrawal and recording what it said: shared by
the approval (right after it commits) and the payout run (`SendPayouts`), which asks again for
the approved withdrawals whose payout is not settled. Asking again is safe because a gateway
pays under the withdrawal's id (Crypto Pay: a spend id made from it), so a payout taken once
is answered, not made, the second time."""

from __future__ import annotations

import logging
import uuid

from application.house import HouseBook
from application.ports import Clock, IdGenerator, PayoutGateway, UnitOfWorkFactory
from application.withdrawals.steps import PAID, PAID_AT_PROVIDER, SYSTEM, Steps
from domain.errors import IllegalTransition
from domain.standing import Operation
from domain.withdrawals import (
    MAX_REASON_LENGTH,
    PayoutDeclined,
    PayoutNotSent,
    Withdrawal,
    WithdrawalState,
)

log = logging.getLogger(__name__)


class PaysOut(Steps):
    """A step that hands an approved withdrawal to the payout gateway."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        payouts: PayoutGateway,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._payouts = payouts

    async def _pay_out(self, approved: Withdrawal) -> Withdrawal:
        async with self._uow() as uow:
            refusal = (await uow.players.standing(approved.player_id)).refusal(
                Operation.PAY_OUT, self._clock.now()
            )
        if refusal is not None:
            # Blocked since the approval committed: nothing is sent. The withdrawal waits,
            # approved, for staff (paid once the block is lifted, or failed to return it).
            log.warning("payout of withdrawal %s not sent: %s", approved.id, refusal.message)
            return approved
        try:
            result = await self._payouts.send(approved)
        except Exception as error:
            log.warning("payout of withdrawal %s: outcome unknown", approved.id, exc_info=True)
            note = (
                f"payout outcome unknown ({type(error).__name__}: {error}); "
                "the next payout run asks again under the same id"
            )
            return await self._note(approved.id, note, reference=None)
        try:
            if isinstance(result, PayoutDeclined):
                why = f"payout declined: {result.reason}"[:MAX_REASON_LENGTH]
                return await self._mark_failed(approved.id, why, SYSTEM)
            if isinstance(result, PayoutNotSent):
                log.warning("payout of withdrawal %s not sent: %s", approved.id, result.note)
                return await self._note(approved.id, result.note, reference=None)
            if result.completed and result.reference is not None:
                # The gateway has paid: the money has left, whatever happened since, and the
                # books must say so. Not a decision to pay, so the standing is not asked.
                step = PAID_AT_PROVIDER if result.from_provider_account else PAID
                return await self._mark_paid(
                    approved.id, result.reference, SYSTEM, operation=None, step=step
                )
            if result.reference is not None:
                return await self._note(approved.id, None, reference=result.reference)
        except IllegalTransition:
            # Staff settled it between the approval and the gateway's answer; theirs stands.
            log.warning("payout of withdrawal %s: settled meanwhile", approved.id)
            async with self._uow() as uow:
                return await uow.withdrawals.get(approved.id)
        return approved

    async def _note(
        self, withdrawal_id: uuid.UUID, note: str | None, *, reference: str | None
    ) -> Withdrawal:
        async with self._uow() as uow:
            current = await uow.withdrawals.get(withdrawal_id, for_update=True)
            if current.state is not WithdrawalState.APPROVED:
                return current  # settled meanwhile: nothing to note
            noted = current
            if note is not None:
                noted = noted.with_payout_note(note)
            if reference is not None:
                noted = noted.with_payout_reference(reference)
            await uow.withdrawals.save(noted, current.state)
            await uow.commit()
        return noted
