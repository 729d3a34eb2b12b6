"""Calling the payout gateway for an approved withdrawal and recording what it said: shared by
the approval (right after it commits) and the payout run (`SendPayouts`), which asks again for
the approved withdrawals whose payout is not settled. Asking again is safe because a gateway
pays under the withdrawal's id (Crypto Pay: a spend id made from it), so a payout taken once
is answered, not made, the second time.

The "sending" mark (`Withdrawal.payout_sending_until`) closes the race with staff marking the
same withdrawal failed: the step takes it under the withdrawal's row lock and commits it before
the gateway is called, and clears it only when the outcome is settled (paid, failed) or certain
to be nothing sent (a refusal, too little, the provider down before sending). A lost answer
leaves it set with its lease ended, a crash leaves it set with its lease running: either way
`MarkWithdrawalFailed` refuses while it is set, and the next run that finds it (its lease
ended) asks the gateway again under the same id, which asks `getTransfers` first.

A run cannot outlive its lease (`PayoutTiming`): the whole send is cut off at its deadline
(`asyncio.timeout_at`, counted from before the mark is taken), and the lease is at least
`LEASE_FACTOR` times that deadline. So every request a run sends leaves before the mark's
time + deadline, and no other run takes over, nor staff settle it, before the mark's time +
lease: the margin between the two is for a request already sent to reach the provider and
show in `getTransfers` (docs/payments-crypto.md, "The sending mark", for what is assumed)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from application.house import HouseBook
from application.ports import Clock, IdGenerator, PayoutGateway, UnitOfWorkFactory
from application.withdrawals.steps import PAID, PAID_AT_PROVIDER, SYSTEM, Steps
from domain.errors import IllegalTransition
from domain.events import WithdrawalPayoutDelayed
from domain.standing import Operation
from domain.withdrawals import (
    MAX_REASON_LENGTH,
    PayoutDeclined,
    PayoutNotSent,
    Withdrawal,
    WithdrawalState,
)

log = logging.getLogger(__name__)

# How long a run's "sending" mark keeps other runs away, at least: far longer than a send
# takes (the client's timeout, 10 s, for getTransfers, getBalance and a transfer asked twice),
# so that the next run takes over only from one that died or gave up, once anything it sent
# has long reached the provider. Staff are refused until a run clears it, whatever its age.
SEND_LEASE = timedelta(minutes=5)
# The lease is at least this many times a send's deadline (`PayoutTiming`).
LEASE_FACTOR = 3
# A Crypto Pay send's calls: getTransfers, getBalance, transfer and its one retry; plus a
# little for the rest (the recipient's Telegram id, read from the database).
SEND_CALLS = 4
SEND_SLACK = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class PayoutTiming:
    """A send's `deadline` (the whole call to the gateway is cut off then, whatever each call's
    own timeout) and the sending mark's `lease`, at least `LEASE_FACTOR` times the deadline:
    a run cannot outlive its lease (refused at construction otherwise)."""

    deadline: timedelta
    lease: timedelta = SEND_LEASE

    def __post_init__(self) -> None:
        if self.deadline <= timedelta(0):
            raise ValueError("a payout send's deadline must be positive")
        if self.lease < LEASE_FACTOR * self.deadline:
            raise ValueError(
                f"the sending mark's lease ({self.lease.total_seconds():g} s) must be at least "
                f"{LEASE_FACTOR} times a payout send's deadline "
                f"({self.deadline.total_seconds():g} s), so that a run cannot outlive it"
            )

    @classmethod
    def for_client(cls, call_timeout: timedelta) -> PayoutTiming:
        """For a gateway whose every call gives up after `call_timeout`: a send's calls and a
        little more, and a lease of `SEND_LEASE` or `LEASE_FACTOR` deadlines if longer."""
        deadline = SEND_CALLS * call_timeout + SEND_SLACK
        return cls(deadline, max(SEND_LEASE, LEASE_FACTOR * deadline))


# With Crypto Pay's default timeout (`CROUPIER_CRYPTO_PAY_TIMEOUT_S`, 10 s): 45 s and 5 min.
DEFAULT_TIMING = PayoutTiming.for_client(timedelta(seconds=10))


class PaysOut(Steps):
    """A step that hands an approved withdrawal to the payout gateway."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        payouts: PayoutGateway,
        *,
        timing: PayoutTiming = DEFAULT_TIMING,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._payouts = payouts
        self._timing = timing

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
        # Counted from before the mark is taken: every request this send makes leaves before
        # the mark's time + the deadline, well inside its lease.
        give_up_at = asyncio.get_running_loop().time() + self._timing.deadline.total_seconds()
        marked, taken = await self._mark_sending(approved.id)
        if not taken:
            return marked  # settled meanwhile, or another run is sending it now
        try:
            async with asyncio.timeout_at(give_up_at):
                result = await self._payouts.send(marked)
        except Exception as error:
            log.warning("payout of withdrawal %s: outcome unknown", approved.id, exc_info=True)
            why = f"{type(error).__name__}: {error}"
            if isinstance(error, TimeoutError):
                why = f"no answer within the send's {self._timing.deadline.total_seconds():g} s"
            note = (
                f"payout outcome unknown ({why}); the next payout run asks again under the "
                "same id once this one's mark has expired"
            )
            return await self._note(approved.id, note, reference=None, resolved=False)
        try:
            if isinstance(result, PayoutDeclined):
                why = f"payout declined: {result.reason}"[:MAX_REASON_LENGTH]
                return await self._mark_failed(approved.id, why, SYSTEM)
            if isinstance(result, PayoutNotSent):
                log.warning("payout of withdrawal %s not sent: %s", approved.id, result.note)
                return await self._note(
                    approved.id, result.note, reference=None, resolved=True, delayed=True
                )
            if result.completed and result.reference is not None:
                # The gateway has paid: the money has left, whatever happened since, and the
                # books must say so. Not a decision to pay, so the standing is not asked.
                step = PAID_AT_PROVIDER if result.from_provider_account else PAID
                return await self._mark_paid(
                    approved.id, result.reference, SYSTEM, operation=None, step=step
                )
            # Taken, still on its way (or staff pay it by hand): staff settle it, as before.
            return await self._note(approved.id, None, reference=result.reference, resolved=True)
        except IllegalTransition:
            # Staff settled it between the approval and the gateway's answer; theirs stands.
            log.warning("payout of withdrawal %s: settled meanwhile", approved.id)
            async with self._uow() as uow:
                return await uow.withdrawals.get(approved.id)

    async def _mark_sending(self, withdrawal_id: uuid.UUID) -> tuple[Withdrawal, bool]:
        """Take the "sending" mark under the row lock and commit it, so that it is visible to
        staff before anything is sent. Not taken (False) when it is no longer approved or
        another run holds the mark now (its lease running); a mark whose lease ended (a lost
        answer, a run that died) is taken over."""
        async with self._uow() as uow:
            current = await uow.withdrawals.get(withdrawal_id, for_update=True)
            now = self._clock.now()
            if current.state is not WithdrawalState.APPROVED:
                return current, False
            if current.being_sent(now):
                log.info("payout of withdrawal %s: another run is sending it", withdrawal_id)
                return current, False
            marked = current.sending(now + self._timing.lease)
            await uow.withdrawals.save(marked, current.state)
            await uow.commit()
        return marked, True

    async def _note(
        self,
        withdrawal_id: uuid.UUID,
        note: str | None,
        *,
        reference: str | None,
        resolved: bool,
        delayed: bool = False,
    ) -> Withdrawal:
        """Record what the gateway said of a withdrawal it did not pay; `resolved` clears the
        sending mark (nothing was sent, or the gateway took it), otherwise it stays, its lease
        running to its end, for the first run after it. `delayed`: the gateway could not pay
        it (certainly nothing sent); the first time, the player is told
        (`WithdrawalPayoutDelayed`, once a withdrawal). A lost answer is not told: the next
        run finds it paid, or not sent and then tells."""
        async with self._uow() as uow:
            current = await uow.withdrawals.get(withdrawal_id, for_update=True)
            if current.state is not WithdrawalState.APPROVED:
                return current  # settled meanwhile: nothing to note
            noted, tell = current, False
            if note is not None and delayed:
                noted, tell = noted.payout_delayed(note, self._clock.now())
            elif note is not None:
                noted = noted.with_payout_note(note)
            if reference is not None:
                noted = noted.with_payout_reference(reference)
            # Unresolved, the mark keeps its lease: whatever this run sent reaches the
            # provider before another run asks it, or staff may give the money back.
            noted = noted.sending_resolved() if resolved else noted.sending_unresolved()
            await uow.withdrawals.save(noted, current.state)
            if tell:
                uow.raise_events(WithdrawalPayoutDelayed(noted))
            await uow.commit()
        return noted
