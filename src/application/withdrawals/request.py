"""A player asks to withdraw."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from application.bonuses.withdrawing import settle_bonus_for_withdrawal
from application.house import HouseBook
from application.ports import (
    Clock,
    IdGenerator,
    UnitOfWork,
    UnitOfWorkFactory,
    WithdrawalHolds,
)
from application.staff import Actor
from application.withdrawals.steps import Steps
from domain.accounts import AccountKind
from domain.errors import InsufficientFunds
from domain.events import WithdrawalRequested
from domain.money import Money
from domain.responsible import LimitKind
from domain.staff import AuditAction
from domain.standing import Operation
from domain.withdrawal_policy import DAILY_WINDOW, WithdrawalPolicy
from domain.withdrawals import Withdrawal, review_holds, validate_destination

# The wagering requirement weighs everything ever deposited against everything ever staked.
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
_WAGERING_KINDS = frozenset({LimitKind.DEPOSIT, LimitKind.WAGER})


class RequestWithdrawal(Steps):
    """A player asks to withdraw `amount` to `destination`. Checked against the policy, it
    takes the money out of the wallet at once and waits for staff. `request_id` is the
    client's idempotency key: a repeat returns the first withdrawal, the same id with another
    amount or destination is an `IdempotencyConflict`. A refusal (`WithdrawalRefused`, naming
    the rule) writes nothing. Self-exclusion does not stop a withdrawal: it is the player's
    money, and taking it out is what an excluded player should be able to do; nor does a
    staff block: the request is taken and waits, frozen until staff lift the block or reject
    it. A player who may no longer play has the wagering requirement waived (and the minimum,
    for the whole balance): `domain.withdrawal_policy`. One who has not accepted the terms is
    refused (`TermsNotAccepted`). While a bonus is active in the currency the request is
    refused (`BonusBlocksWithdrawal`, rule `bonus_active`) unless `forfeit_bonus` says the
    player confirmed giving it up; then it is forfeited in this transaction
    (`application.bonuses.withdrawing`, docs/bonuses.md)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        policy: WithdrawalPolicy,
        holds: WithdrawalHolds,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._policy = policy
        self._holds = holds

    async def __call__(
        self,
        player_id: int,
        amount: Money,
        destination: str,
        request_id: uuid.UUID,
        *,
        forfeit_bonus: bool = False,
    ) -> Withdrawal:
        amount.require_positive()
        destination = validate_destination(destination)
        async with self._uow() as uow:
            # Locked first, so a repeat of this request, and any other request of the player,
            # waits for this one and then sees it (in the lookup and in the daily total).
            await uow.withdrawals.lock_player(player_id)
            existing = await uow.withdrawals.find_by_request(player_id, request_id)
            if existing is not None:
                existing.require_same_request(amount, destination)
                return existing
            now = self._clock.now()
            standing = await uow.players.standing(player_id)
            standing.require(Operation.WITHDRAW, now)
            # A player who may no longer play is cashing out: see `domain.withdrawal_policy`.
            profile = await uow.responsible.profile(player_id)
            standing = standing.with_exclusion(profile.exclusion)
            cashing_out = (
                None if standing.may_play(now) else await self._balance(uow, player_id, amount)
            )
            assert standing.kyc is not None  # read by `standing`
            usage = await uow.responsible.usage(
                player_id, amount.currency, _BEGINNING, _WAGERING_KINDS
            )
            self._policy.check(
                amount,
                requested_today=await uow.withdrawals.requested_since(
                    player_id, amount.currency, now - DAILY_WINDOW
                ),
                kyc=standing.kyc,
                deposited=usage.deposited,
                wagered=usage.wagered,
                cashing_out=cashing_out,
            )
            await settle_bonus_for_withdrawal(
                uow, self._ids, player_id, amount.currency, forfeit_bonus, now, self._house.shards
            )
            withdrawal = Withdrawal(
                id=self._ids.new_id(),
                player_id=player_id,
                request_id=request_id,
                amount=amount,
                destination=destination,
                requested_at=now,
                request_transaction_id=self._ids.new_id(),
                holds=review_holds(
                    await self._holds.open_holds(uow, player_id, amount, destination, now)
                ),
            )
            try:
                await self._move(
                    uow,
                    withdrawal,
                    "request",
                    AccountKind.PLAYER_WALLET,
                    AccountKind.WITHDRAWALS_PENDING,
                    withdrawal.request_transaction_id,
                    now,
                )
            except InsufficientFunds as error:
                raise InsufficientFunds(
                    f"the wallet holds less than the {amount} to withdraw"
                ) from error
            await uow.withdrawals.add(withdrawal)
            uow.raise_events(WithdrawalRequested(withdrawal))
            await self._audit(
                uow,
                AuditAction.WITHDRAWAL_REQUESTED,
                Actor(f"player:{player_id}"),
                withdrawal,
                None,
                now,
            )
            await uow.commit()
        return withdrawal

    @staticmethod
    async def _balance(uow: UnitOfWork, player_id: int, amount: Money) -> Money:
        wallets = await uow.accounts.wallets(player_id)
        found = (w.money for w in wallets if w.currency == amount.currency)
        return next(found, Money(0, amount.currency))
