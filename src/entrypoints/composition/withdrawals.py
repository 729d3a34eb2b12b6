"""Withdrawals, split by caller: a player requests one (the bot), staff decide it and set KYC
(the admin HTTP door). Only the HTTP kind holds the decisions, so no player door's container
can approve, reject or pay a withdrawal (tests/entrypoints/test_containers.py)."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from adapters.payouts import ManualPayouts
from application.kyc import SetKycStatus
from application.ports import PayoutGateway, WithdrawalHolds
from application.risk import RiskReview
from application.withdrawals import (
    ApproveWithdrawal,
    CancelWithdrawal,
    MarkWithdrawalFailed,
    MarkWithdrawalPaid,
    RejectWithdrawal,
    RequestWithdrawal,
)
from application.withdrawals.chain import StaffChain
from application.withdrawals.queries import GetWithdrawal, ListWithdrawals, PendingWithdrawals
from domain.withdrawals import SecondApprovalPolicy, WithdrawalPolicy
from entrypoints.settings import Settings


class WithdrawalsProvider(Provider):
    """A player's side (the bot, and the webhook's bot in the HTTP process): the request
    (the withdrawal policy from the settings and the risk rules that hold a request), the
    player's pending withdrawals and the cancel of one nobody has approved yet."""

    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def withdrawal_policy(self, settings: Settings) -> WithdrawalPolicy:
        return settings.withdrawal_policy

    @provide(scope=Scope.APP)
    def holds(self, review: RiskReview) -> WithdrawalHolds:
        # Risk rules run on every request; a request with open flags waits for their review.
        return review

    request_withdrawal = provide(RequestWithdrawal)
    cancel_withdrawal = provide(CancelWithdrawal)
    pending_withdrawals = provide(PendingWithdrawals)


class WithdrawalDecisionsProvider(Provider):
    """The staff's side (the admin HTTP door): the second-approval policy, the payout gateway
    (manual by default: staff pay out of band and mark the withdrawal paid), the four-eyes
    chain, the decisions, the queue's reads and KYC."""

    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def second_approval(self, settings: Settings) -> SecondApprovalPolicy:
        return settings.second_approval_policy

    payouts = provide(ManualPayouts, provides=PayoutGateway, scope=Scope.APP)
    staff_chain = provide(StaffChain, scope=Scope.APP)
    approve_withdrawal = provide(ApproveWithdrawal)
    reject_withdrawal = provide(RejectWithdrawal)
    mark_withdrawal_paid = provide(MarkWithdrawalPaid)
    mark_withdrawal_failed = provide(MarkWithdrawalFailed)
    list_withdrawals = provide(ListWithdrawals)
    get_withdrawal = provide(GetWithdrawal)
    set_kyc_status = provide(SetKycStatus)
