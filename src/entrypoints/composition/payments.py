"""Money in and out: Telegram Stars deposits and refunds, withdrawals and KYC."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from adapters.payouts import ManualPayouts
from adapters.telegram_stars import TelegramStarsRefunds
from application.kyc import SetKycStatus
from application.payments import (
    CheckPreCheckout,
    CreateStarsInvoice,
    CreditStarsPayment,
    GetStarsPayment,
    ListStarsPayments,
    RefundStarsPayment,
)
from application.ports import PayoutGateway, StarsRefunds, WithdrawalHolds
from application.risk import RiskReview
from application.withdrawals import (
    ApproveWithdrawal,
    MarkWithdrawalFailed,
    MarkWithdrawalPaid,
    RejectWithdrawal,
    RequestWithdrawal,
)
from application.withdrawals.chain import StaffChain
from application.withdrawals.queries import GetWithdrawal, ListWithdrawals
from domain.withdrawals import SecondApprovalPolicy, WithdrawalPolicy
from entrypoints.bot.runtime import TelegramRuntime
from entrypoints.settings import Settings


class PaymentsProvider(Provider):
    """Stars deposits (used by the bot) and refunds (used by finance staff)."""

    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def stars_refunds(self, telegram: TelegramRuntime) -> StarsRefunds:
        return TelegramStarsRefunds(telegram.bot)

    create_stars_invoice = provide(CreateStarsInvoice)
    check_pre_checkout = provide(CheckPreCheckout)
    credit_stars_payment = provide(CreditStarsPayment)
    refund_stars_payment = provide(RefundStarsPayment)
    list_stars_payments = provide(ListStarsPayments)
    get_stars_payment = provide(GetStarsPayment)


class WithdrawalsProvider(Provider):
    """The withdrawal policy from the settings, the payout gateway (manual by default: staff
    pay out of band and mark the withdrawal paid), and the use cases (the bot asks, staff
    decide)."""

    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def withdrawal_policy(self, settings: Settings) -> WithdrawalPolicy:
        return settings.withdrawal_policy

    @provide(scope=Scope.APP)
    def second_approval(self, settings: Settings) -> SecondApprovalPolicy:
        return settings.second_approval_policy

    payouts = provide(ManualPayouts, provides=PayoutGateway, scope=Scope.APP)

    @provide(scope=Scope.APP)
    def holds(self, review: RiskReview) -> WithdrawalHolds:
        # Risk rules run on every request; a request with open flags waits for their review.
        return review

    staff_chain = provide(StaffChain, scope=Scope.APP)
    request_withdrawal = provide(RequestWithdrawal)
    approve_withdrawal = provide(ApproveWithdrawal)
    reject_withdrawal = provide(RejectWithdrawal)
    mark_withdrawal_paid = provide(MarkWithdrawalPaid)
    mark_withdrawal_failed = provide(MarkWithdrawalFailed)
    list_withdrawals = provide(ListWithdrawals)
    get_withdrawal = provide(GetWithdrawal)
    set_kyc_status = provide(SetKycStatus)
