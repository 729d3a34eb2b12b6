"""Payout gateways: where an approved withdrawal's money is sent.

`ManualPayouts` is the default: it sends nothing. The approved withdrawal stays in the staff
queue (state `approved`, its money in payout clearing) as the instruction to pay; staff pay it
out of band (a bank transfer, a TON wallet) and then mark it paid with the transfer's
reference, or failed to return the money to the player. A real provider plugs in here: an
adapter implementing `application.ports.PayoutGateway` that calls its API with the
withdrawal's id as the idempotency key, answering `PayoutSent` or `PayoutDeclined`."""

from __future__ import annotations

import logging

from domain.withdrawals import PayoutResult, PayoutSent, Withdrawal

log = logging.getLogger(__name__)


class ManualPayouts:
    """Records the payout for staff to make by hand."""

    async def send(self, withdrawal: Withdrawal) -> PayoutResult:
        log.info(
            "withdrawal %s approved for manual payout: %s to %r for player %s",
            withdrawal.id,
            withdrawal.amount,
            withdrawal.destination,
            withdrawal.player_id,
        )
        return PayoutSent()

    def pays(self, withdrawal: Withdrawal) -> bool:
        """`PayoutLookup`: no run sends what staff pay by hand."""
        return False

    async def made(self, withdrawal: Withdrawal) -> str | None:
        """`PayoutLookup`: staff pay by hand and know; nothing to ask."""
        return None
