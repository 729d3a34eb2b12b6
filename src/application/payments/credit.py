"""Telegram reports a charge: the Stars are credited, exactly once per charge id, when the
charge is the one offered; anything else is refunded, flagged and never credited."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from application.campaigns.deposit_match import match_deposit
from application.house import HouseBook
from application.payments.payer import payer
from application.ports import Clock, IdGenerator, StarsRefunds, UnitOfWork, UnitOfWorkFactory
from application.postings import WalletPoster
from application.risk import RiskReview
from domain.errors import DomainError
from domain.money import XTR, Money
from domain.payments import PaymentMismatch, StarsPayment, validate_charge_id, validate_payload
from domain.postings import stars_credit
from domain.quoting import excerpt

log = logging.getLogger(__name__)


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
    already theirs; staff refund it (`RefundStarsPayment`) if it must go back.

    The charge must be the invoice issued, to this player, in XTR, for its amount: pre-checkout
    checks that, but a `successful_payment` is checked again rather than trusted (an invoice
    never issued, a junk payload and a non-XTR currency were all credited). A charge that does
    not match is not credited: it is refunded through the Bot API, logged and raises a
    `payment_mismatch` risk flag, and the caller gets `PaymentMismatch`."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        refunds: StarsRefunds,
        risk: RiskReview,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._refunds = refunds
        self._risk = risk

    async def __call__(
        self,
        charge_id: str,
        payload: str,
        telegram_user_id: int,
        total_amount: int,
        currency: str,
    ) -> StarsCredit:
        charge_id = validate_charge_id(charge_id)
        async with self._uow() as uow:
            player = await payer(uow, telegram_user_id)
            mismatch = await _mismatch(uow, player.id, payload, total_amount, currency)
            if mismatch is None:
                credited = await self._credit_in(
                    uow, player.id, charge_id, payload, telegram_user_id, total_amount
                )
                await uow.commit()
                return credited
            evidence: dict[str, object] = {
                "charge_id": charge_id,
                "payload": excerpt(payload),
                "currency": excerpt(currency),
                "total_amount": excerpt(total_amount),
                "reason": mismatch.message,
            }
            await self._risk.on_payment_mismatch(uow, player.id, evidence, self._clock.now())
            await uow.commit()
        await self._refund_mismatch(telegram_user_id, charge_id, mismatch)
        raise mismatch

    async def _credit_in(
        self,
        uow: UnitOfWork,
        player_id: int,
        charge_id: str,
        payload: str,
        telegram_user_id: int,
        total_amount: int,
    ) -> StarsCredit:
        amount = Money(total_amount, XTR).require_positive()
        posting = await self._post_in(
            uow,
            player_id,
            stars_credit(charge_id, amount, payload=payload, telegram_user_id=telegram_user_id),
        )
        payment = StarsPayment(
            charge_id=charge_id,
            player_id=player_id,
            telegram_user_id=telegram_user_id,
            amount=amount,
            payload=payload,
            deposit_transaction_id=posting.transaction.id,
            paid_at=posting.transaction.created_at,
        )
        if not await uow.stars.add_payment(payment):
            payment = await uow.stars.payment(charge_id)
        if not posting.replayed:
            # A deposit match grants in the credit's own transaction, or not at all.
            await match_deposit(
                uow,
                self._ids,
                player_id=player_id,
                deposit=amount,
                deposit_key=posting.transaction.idempotency_key,
                now=self._clock.now(),
                shards=self._house.shards,
            )
        return StarsCredit(payment, posting.balance, posting.replayed)

    async def _refund_mismatch(
        self, telegram_user_id: int, charge_id: str, mismatch: PaymentMismatch
    ) -> None:
        log.warning(
            "Stars charge %s of Telegram user %s matches no invoice issued (%s): refunding it, "
            "not crediting it",
            charge_id,
            telegram_user_id,
            mismatch.message,
        )
        try:
            await self._refunds.refund(telegram_user_id, charge_id)
        except Exception:
            # The flag is open; staff see it and refund by hand. Telegram redelivering the
            # update retries the refund too.
            log.exception(
                "refunding mismatched Stars charge %s failed; refund it by hand", charge_id
            )


async def _mismatch(
    uow: UnitOfWork, player_id: int, payload: str, total_amount: int, currency: str
) -> PaymentMismatch | None:
    """Why this charge is not the invoice issued, or None when it is."""
    try:
        invoice = await uow.stars.invoice(validate_payload(payload))
        if invoice is None:
            return PaymentMismatch("this invoice was not issued by Croupier")
        invoice.check_checkout(player_id, total_amount, currency)
    except PaymentMismatch as mismatch:
        return mismatch
    except DomainError as error:
        return PaymentMismatch(f"not an invoice issued by Croupier: {error.message}")
    return None
