"""The invoice a player is sent for a Stars deposit."""

from __future__ import annotations

from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from application.responsible import ResponsibleGamblingGuard
from domain.payments import StarsInvoice, stars


class CreateStarsInvoice:
    """Offer a player a top-up of `amount` Stars: records an invoice with a fresh payload. A
    player who may not deposit now (blocked, without the terms, excluded, over a deposit limit)
    is told before Telegram shows a payment form, and no invoice is recorded; so is a player
    who owes the prompt at the first deposit (`DepositLimitPromptDue`), on every door."""

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
            # The standing (blocked, terms, a timeout or self-exclusion), the deposit limits
            # and the prompt at the first deposit, decided by the guard in one place, before
            # Telegram takes any money.
            standing = await uow.players.standing(player_id)
            await self._guard.check_deposit_offer(uow, standing, money, now)
            await uow.stars.add_invoice(invoice)
            await uow.commit()
        return invoice
