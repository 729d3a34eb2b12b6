"""The payout run: asks the gateway again for the approved withdrawals it has not settled."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from application.house import HouseBook
from application.ports import Clock, IdGenerator, PayoutGateway, UnitOfWorkFactory
from application.withdrawals.payout import DEFAULT_TIMING, PayoutTiming, PaysOut
from domain.withdrawals import Withdrawal, WithdrawalState

_PAGE = 100


@dataclass(frozen=True, slots=True)
class PayoutRun:
    """What one run did: withdrawals paid, failed, and still approved (not sent, unknown)."""

    paid: int = 0
    failed: int = 0
    waiting: int = 0


class SendPayouts(PaysOut):
    """For every approved withdrawal in one of `currencies` (those a provider pays, never the
    ones staff pay by hand), oldest first, call the gateway as the approval did: a payout whose
    answer was lost is asked again under the same id (paid once, whatever the retries), one the
    provider refused or could not fund is tried again (the provider's balance may have been
    topped up). Staff who would rather give the money back mark it failed; a failed or paid
    withdrawal is no longer approved and the run leaves it alone, as it leaves one another run
    is sending now (its "sending" mark's `lease` running); a mark whose lease ended is
    resolved (the gateway asks `getTransfers` first)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        payouts: PayoutGateway,
        currencies: Collection[str] = frozenset({"USDT", "TON"}),
        *,
        timing: PayoutTiming = DEFAULT_TIMING,
    ) -> None:
        super().__init__(uow, clock, ids, house, payouts, timing=timing)
        self._currencies = frozenset(currencies)

    async def __call__(self, limit: int = 1000) -> PayoutRun:
        due: list[Withdrawal] = []
        after = None
        while len(due) < limit:
            async with self._uow() as uow:
                page = await uow.withdrawals.list(
                    WithdrawalState.APPROVED, after=after, limit=_PAGE
                )
            due += [w for w in page if w.amount.currency.code in self._currencies]
            if len(page) < _PAGE:
                break
            after = (page[-1].requested_at, page[-1].id)
        paid = failed = waiting = 0
        for withdrawal in due[:limit]:
            after_run = await self._pay_out(withdrawal)
            if after_run.state is WithdrawalState.PAID:
                paid += 1
            elif after_run.state is WithdrawalState.FAILED:
                failed += 1
            else:
                waiting += 1
        return PayoutRun(paid, failed, waiting)
