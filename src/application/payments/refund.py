"""A Stars refund, staff only: ledger first, then Telegram, undone if Telegram refuses."""

from __future__ import annotations

import logging

from application.house import HouseBook
from application.ports import Clock, IdGenerator, StarsRefunds, UnitOfWork, UnitOfWorkFactory
from application.postings import WalletPoster
from application.staff import Actor
from domain.errors import InsufficientFunds
from domain.payments import (
    PaymentStatus,
    RefundPending,
    RefundRefused,
    StarsPayment,
    validate_charge_id,
    validate_refund_reason,
)
from domain.postings import stars_refund, stars_refund_undone
from domain.staff import AuditAction, AuditEntry

log = logging.getLogger(__name__)


class RefundStarsPayment(WalletPoster):
    """Refund a Stars payment in full through Telegram (staff only, with a reason).

    Idempotent: a refunded payment is returned as it is; a payment whose refund was left
    unanswered is retried at Telegram without moving money again. A player who has already
    spent the Stars cannot be refunded (the wallet would go negative): that is refused before
    Telegram is asked."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        refunds: StarsRefunds,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._refunds = refunds

    async def __call__(self, charge_id: str, reason: str, actor: Actor) -> StarsPayment:
        reason = validate_refund_reason(reason)
        payment = await self._reverse(validate_charge_id(charge_id), reason, actor)
        if payment.status is PaymentStatus.REFUNDED:
            return payment
        try:
            await self._refunds.refund(payment.telegram_user_id, payment.charge_id)
        except RefundRefused as refused:
            await self._compensate(payment.charge_id, actor, refused.message)
            raise
        except Exception:
            # Telegram's answer was lost: the Stars stay out of the wallet (Telegram may have
            # refunded them) and the payment stays `refunding` for a retry.
            log.warning("Stars refund of %s: no answer from Telegram", charge_id, exc_info=True)
            raise RefundPending(
                "Telegram did not answer; the Stars are held and the refund is pending. "
                "Retry the refund to ask Telegram again."
            ) from None
        return await self._complete(payment.charge_id, actor)

    async def _reverse(self, charge_id: str, reason: str, actor: Actor) -> StarsPayment:
        async with self._uow() as uow:
            payment = await uow.stars.payment(charge_id, for_update=True)
            if payment.status is not PaymentStatus.PAID:
                return payment
            try:
                posting = await self._post_in(
                    uow,
                    payment.player_id,
                    stars_refund(
                        charge_id,
                        payment.refund_attempts,
                        payment.amount,
                        reason=reason,
                        requested_by=actor.label,
                    ),
                )
            except InsufficientFunds as error:
                raise InsufficientFunds(
                    f"the player's wallet holds less than the {payment.amount.amount} Stars "
                    "to refund; they have been spent"
                ) from error
            refunding = payment.start_refund(posting.transaction.id, actor.label, reason)
            await uow.stars.save_payment(refunding)
            await self._audit(uow, AuditAction.STARS_REFUND_STARTED, actor, refunding)
            await uow.commit()
        return refunding

    async def _compensate(self, charge_id: str, actor: Actor, why: str) -> None:
        async with self._uow() as uow:
            payment = await uow.stars.payment(charge_id, for_update=True)
            if payment.status is not PaymentStatus.REFUNDING:
                return
            await self._post_in(
                uow,
                payment.player_id,
                stars_refund_undone(charge_id, payment.refund_attempts, payment.amount, why=why),
            )
            restored = payment.abandon_refund()
            await uow.stars.save_payment(restored)
            await self._audit(uow, AuditAction.STARS_REFUND_FAILED, actor, restored, why)
            await uow.commit()

    async def _complete(self, charge_id: str, actor: Actor) -> StarsPayment:
        async with self._uow() as uow:
            payment = await uow.stars.payment(charge_id, for_update=True)
            if payment.status is not PaymentStatus.REFUNDING:
                return payment  # a concurrent retry finished it
            done = payment.complete_refund(self._clock.now())
            await uow.stars.save_payment(done)
            await self._audit(uow, AuditAction.STARS_REFUNDED, actor, done)
            await uow.commit()
        return done

    async def _audit(
        self,
        uow: UnitOfWork,
        action: AuditAction,
        actor: Actor,
        payment: StarsPayment,
        why: str = "",
    ) -> None:
        after: dict[str, object] = {
            "charge_id": payment.charge_id,
            "amount": payment.amount.amount,
            "status": payment.status.value,
            "reason": payment.refund_reason or "",
        }
        if why:
            after["telegram_error"] = why
        await uow.audit.record(
            AuditEntry(
                action,
                self._clock.now(),
                actor.label,
                f"player:{payment.player_id}",
                actor.source,
                after=after,
            )
        )
