"""The payout's result: paid (the money leaves the books) or failed (it returns to the wallet)."""

from __future__ import annotations

import uuid
from datetime import datetime

from application.house import HouseBook
from application.ports import Clock, IdGenerator, PayoutLookup, UnitOfWork, UnitOfWorkFactory
from application.staff import Actor
from application.withdrawals.chain import DEFAULT_STAFF_CHAIN, StaffChain
from application.withdrawals.steps import Steps
from domain.errors import IllegalTransition
from domain.withdrawals import Withdrawal, WithdrawalState


class MarkWithdrawalPaid(Steps):
    """Confirm that an approved withdrawal's payout arrived, with the provider's or bank's
    reference; its money leaves the books. A repeat with the same reference returns it
    unchanged, another reference is an `IdempotencyConflict`. With manual payouts, marking
    paid is how staff pay, so a blocked player's withdrawal is frozen here too
    (`WithdrawalFrozen`) until the block is lifted, and whoever adjusted the player's balance
    within the four-eyes window may not do it (`StaffChain`: `Forbidden`, and a risk flag)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        chain: StaffChain = DEFAULT_STAFF_CHAIN,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._chain = chain

    async def __call__(self, withdrawal_id: uuid.UUID, reference: str, actor: Actor) -> Withdrawal:
        async def not_in_a_chain(uow: UnitOfWork, current: Withdrawal, now: datetime) -> None:
            await self._chain.refuse(uow, current, actor, "mark paid", now)
            _not_being_sent(current, now, unresolved_waits=False)

        return await self._mark_paid(withdrawal_id, reference, actor, guard=not_in_a_chain)


class MarkWithdrawalFailed(Steps):
    """Record that an approved withdrawal's payout failed; its money returns to the wallet.
    A repeat returns it unchanged. With a `lookup` (a provider's payouts, Crypto Pay), the
    provider is asked first whether it made the payout: if it did, failing it would pay the
    player twice, so it is refused (`IllegalTransition`: the payout run records it paid); if
    the provider cannot tell now (down), it is refused too, until it can. Then, under the
    withdrawal's row lock, it is refused while a payout run holds the "sending" mark (a send
    in flight, or one whose outcome is not resolved yet): a transfer is only ever made under
    that committed mark, so a lookup that found none and a lock that finds no mark prove no
    transfer was or will be made."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        lookup: PayoutLookup | None = None,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._lookup = lookup

    async def __call__(self, withdrawal_id: uuid.UUID, reason: str, actor: Actor) -> Withdrawal:
        if self._lookup is not None:
            async with self._uow() as uow:
                current = await uow.withdrawals.get(withdrawal_id)
            if current.state is WithdrawalState.APPROVED:
                await self._not_made(current)

        lookup = self._lookup

        async def not_being_sent(uow: UnitOfWork, current: Withdrawal, now: datetime) -> None:
            # An unresolved mark waits for the run only where a run sends (not by hand).
            unresolved_waits = lookup is not None and lookup.pays(current)
            _not_being_sent(current, now, unresolved_waits=unresolved_waits)

        return await self._mark_failed(withdrawal_id, reason, actor, guard=not_being_sent)

    async def _not_made(self, withdrawal: Withdrawal) -> None:
        assert self._lookup is not None
        try:
            made = await self._lookup.made(withdrawal)
        except Exception as error:
            raise IllegalTransition(
                f"the payment provider cannot tell now whether it paid withdrawal "
                f"{withdrawal.id} ({type(error).__name__}); it cannot be marked failed "
                "until it can"
            ) from None
        if made is not None:
            raise IllegalTransition(
                f"the payment provider has paid withdrawal {withdrawal.id} ({made}); it "
                "cannot be marked failed (the next payout run records it paid)"
            )


def _not_being_sent(withdrawal: Withdrawal, now: datetime, *, unresolved_waits: bool) -> None:
    """Refuse to settle by hand a withdrawal a payout run is sending now, or (where a run
    sends it: `unresolved_waits`) one whose send is not resolved yet."""
    if withdrawal.being_sent(now):
        raise IllegalTransition(
            f"a payout run is sending withdrawal {withdrawal.id} to the payment provider "
            "now; it cannot be settled by hand until the run has recorded the answer, or "
            f"the first payout run after {withdrawal.payout_sending_until:%H:%M:%S} UTC has "
            "asked the provider"
        )
    if unresolved_waits and withdrawal.payout_sending_until is not None:
        raise IllegalTransition(
            f"the payout of withdrawal {withdrawal.id} was sent and its outcome is not "
            "resolved yet; it cannot be settled by hand until the next payout run has asked "
            "the payment provider (it records it paid, or clears the mark)"
        )
