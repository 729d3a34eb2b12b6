"""Telegram reports a charge: the Stars are credited, exactly once per charge id."""

from __future__ import annotations

from dataclasses import dataclass

from application.payments.payer import payer
from application.postings import WalletPoster
from domain.money import XTR, Money
from domain.payments import StarsPayment, validate_charge_id
from domain.postings import stars_credit


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
            player = await payer(uow, telegram_user_id)
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
