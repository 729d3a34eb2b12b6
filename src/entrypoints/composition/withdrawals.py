"""Withdrawals, split by caller: a player requests one (the bot), staff decide it and set KYC
(the admin HTTP door). Only the HTTP kind holds the decisions, so no player door's container
can approve, reject or pay a withdrawal (tests/entrypoints/test_containers.py)."""

from __future__ import annotations

from datetime import timedelta

from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.crypto_pay_payouts import CryptoPayPayouts
from adapters.payouts import ManualPayouts
from adapters.postgres.payout_recipients import PlayerTelegramIds
from application.house import HouseBook
from application.kyc import SetKycStatus
from application.ports import (
    Clock,
    CryptoPayGateway,
    IdGenerator,
    PayoutGateway,
    PayoutLookup,
    UnitOfWorkFactory,
    WithdrawalHolds,
)
from application.risk import RiskReview
from application.withdrawals import (
    ApproveWithdrawal,
    CancelWithdrawal,
    MarkWithdrawalFailed,
    MarkWithdrawalPaid,
    PayoutTiming,
    RejectWithdrawal,
    RequestWithdrawal,
    SendPayouts,
)
from application.withdrawals.chain import StaffChain
from application.withdrawals.queries import GetWithdrawal, ListWithdrawals, PendingWithdrawals
from domain.withdrawal_policy import SecondApprovalPolicy, WithdrawalPolicy
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
    """The staff's side (the admin HTTP door): the second-approval policy, the four-eyes
    chain, the decisions, the queue's reads and KYC. The payout gateway they call is
    `PayoutsProvider`'s: manual by default (staff pay out of band and mark the withdrawal
    paid), Crypto Pay's transfer for USDT and TON when its token is set."""

    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def second_approval(self, settings: Settings) -> SecondApprovalPolicy:
        return settings.second_approval_policy

    staff_chain = provide(StaffChain, scope=Scope.APP)

    @provide
    def approve_withdrawal(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        payouts: PayoutGateway,
        chain: StaffChain,
        second: SecondApprovalPolicy,
        timing: PayoutTiming,
    ) -> ApproveWithdrawal:
        return ApproveWithdrawal(uow, clock, ids, house, payouts, chain, second, timing=timing)

    reject_withdrawal = provide(RejectWithdrawal)
    mark_withdrawal_paid = provide(MarkWithdrawalPaid)

    @provide
    def mark_withdrawal_failed(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        lookup: PayoutLookup,
    ) -> MarkWithdrawalFailed:
        return MarkWithdrawalFailed(uow, clock, ids, house, lookup)

    list_withdrawals = provide(ListWithdrawals)
    get_withdrawal = provide(GetWithdrawal)
    set_kyc_status = provide(SetKycStatus)


class PayoutsProvider(Provider):
    """The payout gateway and the payout run: held by the HTTP kind (the staff's approval
    calls the gateway; `croupier run`'s payout job beside the http part) and the CLI's, never
    by a player's door."""

    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def payouts(
        self, settings: Settings, crypto: CryptoPayGateway, engine: AsyncEngine
    ) -> PayoutGateway:
        # With a Crypto Pay token, USDT and TON withdrawals are paid by its `transfer`;
        # every other currency (and every one without a token) is paid by hand.
        manual = ManualPayouts()
        if settings.crypto_pay_token is None:
            return manual
        recipients = PlayerTelegramIds(engine)
        return CryptoPayPayouts(crypto, recipients, manual, settings.crypto_pay_asset_codes())

    @provide(scope=Scope.APP)
    def payout_timing(self, settings: Settings) -> PayoutTiming:
        # A send cannot outlive its sending mark: its deadline from the client's timeout,
        # the lease at least three deadlines (checked when built: at the first payout).
        return PayoutTiming.for_client(timedelta(seconds=settings.crypto_pay_timeout_s))

    @provide(scope=Scope.APP)
    def payout_lookup(self, payouts: PayoutGateway) -> PayoutLookup:
        # Crypto Pay's payouts are looked up by spend id; manual ones have nothing to ask.
        return payouts if isinstance(payouts, CryptoPayPayouts) else ManualPayouts()

    @provide
    def send_payouts(
        self,
        settings: Settings,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        payouts: PayoutGateway,
        timing: PayoutTiming,
    ) -> SendPayouts:
        codes = settings.crypto_pay_asset_codes()
        return SendPayouts(uow, clock, ids, house, payouts, codes, timing=timing)
