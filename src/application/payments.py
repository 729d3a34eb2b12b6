"""Deposits in Telegram Stars and their refunds.

The flow Telegram imposes: we send an invoice (`CreateStarsInvoice`), Telegram asks whether to
take the money (`CheckPreCheckout`, answered within 10 s), then reports the charge
(`CreditStarsPayment`). Checks happen before the money is taken; once Telegram reports a charge
the Stars are the player's and are always credited, exactly once per charge id.

A refund (`RefundStarsPayment`, staff only) is ledger first: the Stars leave the wallet in one
transaction before Telegram is asked, so the player cannot spend them while Telegram refunds
them. If Telegram refuses, a compensating transaction puts them back; if Telegram's answer is
lost, the payment stays `refunding` and a retry asks Telegram again without a second reversal
(Telegram answers an already refunded charge with an error we treat as success)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from application.house import HouseBook
from application.ports import (
    Clock,
    IdGenerator,
    StarsRefunds,
    UnitOfWork,
    UnitOfWorkFactory,
)
from application.postings import WalletPoster
from application.responsible import ResponsibleGamblingGuard
from application.staff import Actor
from application.velocity import NO_VELOCITY_LIMITS, VelocityPolicy
from domain.errors import InsufficientFunds, InvalidRequest, NotFound
from domain.money import XTR, Money
from domain.payments import (
    PaymentMismatch,
    PaymentStatus,
    RefundPending,
    RefundRefused,
    StarsInvoice,
    StarsPayment,
    stars,
    validate_charge_id,
    validate_payload,
    validate_refund_reason,
)
from domain.players import Player
from domain.postings import stars_credit, stars_refund, stars_refund_undone
from domain.staff import AuditAction, AuditEntry
from domain.velocity import VelocityAction

log = logging.getLogger(__name__)


async def _payer(uow: UnitOfWork, telegram_user_id: int) -> Player:
    player = await uow.players.find_by_telegram_id(telegram_user_id)
    if player is None:
        raise NotFound("this Telegram user has no Croupier account; send /start first")
    return player


class CreateStarsInvoice:
    """Offer a player a top-up of `amount` Stars: records an invoice with a fresh payload. A
    player who may not deposit now (blocked, without the terms, excluded, over a deposit limit)
    is told before Telegram shows a payment form, and no invoice is recorded."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        guard: ResponsibleGamblingGuard,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._guard = guard

    async def __call__(self, player_id: int, amount: int) -> StarsInvoice:
        money = stars(amount)
        now = self._clock.now()
        invoice = StarsInvoice(f"dep:{self._ids.new_id().hex}", player_id, money, now)
        async with self._uow() as uow:
            # The standing (blocked, terms, a timeout or self-exclusion) and the deposit
            # limits, decided by the guard in one place, before Telegram takes any money.
            standing = await uow.players.standing(player_id)
            await self._guard.check_deposit(uow, standing, money, now)
            await uow.stars.add_invoice(invoice)
            await uow.commit()
        return invoice


class CheckPreCheckout:
    """Telegram's `pre_checkout_query`: accept only a checkout that matches an invoice we
    issued to this user, for an active player who may deposit this amount now. Read only, so it
    answers well inside Telegram's 10 seconds."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        guard: ResponsibleGamblingGuard,
        *,
        velocity: VelocityPolicy = NO_VELOCITY_LIMITS,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._guard = guard
        self._velocity = velocity

    async def __call__(
        self, payload: str, telegram_user_id: int, total_amount: int, currency: str
    ) -> StarsInvoice:
        async with self._uow() as uow:
            player = await _payer(uow, telegram_user_id)
            invoice = await uow.stars.invoice(validate_payload(payload))
            if invoice is None:
                raise PaymentMismatch("this invoice was not issued by Croupier")
            invoice.check_checkout(player.id, total_amount, currency)
            standing = await uow.players.standing(player.id)
            await self._guard.check_deposit(uow, standing, invoice.amount, self._clock.now())
        # The deposits-per-hour cap counts checkouts: here is the last point where a Stars
        # deposit can still be refused (it fails closed when Redis is down, like any deposit).
        await self._velocity.check(VelocityAction.DEPOSIT, player.id)
        return invoice


@dataclass(frozen=True, slots=True)
class StarsCredit:
    payment: StarsPayment
    balance: Money  # the wallet right after this credit
    replayed: bool  # True when this charge had been credited before


class CreditStarsPayment(WalletPoster):
    """Telegram's `successful_payment`: credit the charge to the payer's XTR wallet, once per
    `telegram_payment_charge_id` however often Telegram delivers it. Never refused, for the
    player's standing (a block or the terms), limits or exclusion: those were checked at
    pre-checkout, and the Stars have been taken. A charge for a player blocked since is money
    already theirs; staff refund it (`RefundStarsPayment`) if it must go back."""

    async def __call__(
        self, charge_id: str, payload: str, telegram_user_id: int, total_amount: int
    ) -> StarsCredit:
        charge_id = validate_charge_id(charge_id)
        # Whatever Telegram charged is credited: the invoice bounds were checked at pre-checkout.
        amount = Money(total_amount, XTR).require_positive()
        async with self._uow() as uow:
            player = await _payer(uow, telegram_user_id)
            posting = await self._post_in(
                uow,
                player.id,
                stars_credit(charge_id, amount, payload=payload, telegram_user_id=telegram_user_id),
            )
            payment = StarsPayment(
                charge_id=charge_id,
                player_id=player.id,
                telegram_user_id=telegram_user_id,
                amount=amount,
                payload=payload,
                deposit_transaction_id=posting.transaction.id,
                paid_at=posting.transaction.created_at,
            )
            if not await uow.stars.add_payment(payment):
                payment = await uow.stars.payment(charge_id)
            await uow.commit()
        return StarsCredit(payment, posting.balance, posting.replayed)


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


class ListStarsPayments:
    """Stars payments, newest first, of one player or of everyone."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int | None, limit: int = 50) -> Sequence[StarsPayment]:
        if not 1 <= limit <= 200:
            raise InvalidRequest("limit must be between 1 and 200")
        async with self._uow() as uow:
            return await uow.stars.list_payments(player_id, limit)


class GetStarsPayment:
    """One Stars payment by its Telegram charge id."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, charge_id: str) -> StarsPayment:
        async with self._uow() as uow:
            return await uow.stars.payment(validate_charge_id(charge_id))


__all__ = [
    "CheckPreCheckout",
    "CreateStarsInvoice",
    "CreditStarsPayment",
    "GetStarsPayment",
    "ListStarsPayments",
    "RefundStarsPayment",
    "StarsCredit",
]
