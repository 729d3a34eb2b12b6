"""Telegram asks whether to take the money: the last point where a deposit can be refused."""

from __future__ import annotations

from application.payments.payer import payer
from application.ports import Clock, UnitOfWorkFactory
from application.responsible import ResponsibleGamblingGuard
from application.velocity import NO_VELOCITY_LIMITS, VelocityPolicy
from domain.payments import PaymentMismatch, StarsInvoice, validate_payload
from domain.velocity import VelocityAction


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
            player = await payer(uow, telegram_user_id)
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
